import { ApiError } from '../api.js'
import type { Ctx } from '../context.js'
import { h, show } from '../dom.js'
import { appointmentsPage } from './appointments.js'
import { setHeader } from './chrome.js'

interface ConsentDocument { kind: string; version: number; title: string; body: string; publishedAt: string; accepted: boolean }

/**
 * The current terms, privacy notice and (for patients) telehealth consent the
 * user has not accepted yet, one after another. Most routes answer 403
 * BDS_ERR_CONSENT_REQUIRED until all are accepted, so the shell sends any such
 * answer here. Bodies go in as text (never markup): an admin's document cannot
 * run script in a patient's page.
 */
export function consentPage (ctx: Ctx): () => void {
  setHeader(ctx)
  let gone = false
  const status = h('p', { class: 'status', role: 'status' }, 'Loading the documents to review…')
  show(ctx.root, h('section', { class: 'card narrow wide-text' }, h('h1', {}, 'Before you continue'), status))

  ctx.api.request<{ documents: ConsentDocument[] }>('GET', '/consent').then(({ documents }) => {
    if (gone) return
    const pending = documents.filter((d) => !d.accepted)
    step(ctx, pending, 0, () => gone)
  }).catch((err: unknown) => {
    if (!gone) status.textContent = err instanceof ApiError ? err.message : 'Could not reach Bedside. Check your connection.'
  })
  return () => { gone = true }
}

function step (ctx: Ctx, docs: ConsentDocument[], i: number, gone: () => boolean): void {
  const doc = docs[i]
  if (!doc) { void done(ctx); return }
  const error = h('p', { class: 'error', role: 'alert' })
  const agreed = h('input', { type: 'checkbox', id: `consent-${doc.kind}` })
  const accept = h('button', { type: 'submit', class: 'primary' }, 'Accept and continue')
  const bodyId = `consent-body-${doc.kind}`
  // tabindex: the text scrolls inside its box, so keyboard users must be able to focus and scroll it.
  const body = h('div', { class: 'consent-body', id: bodyId, tabindex: 0, role: 'region', 'aria-label': doc.title }, doc.body)
  const form = h('form', { class: 'card narrow wide-text', novalidate: true, 'aria-labelledby': 'consent-title' },
    h('p', { class: 'muted' }, docs.length > 1 ? `Document ${i + 1} of ${docs.length}` : 'Please read and accept this document.'),
    h('h1', { id: 'consent-title' }, doc.title),
    h('p', { class: 'muted' }, `Version ${doc.version}`),
    body,
    h('div', { class: 'check' }, agreed, h('label', { for: agreed.id }, `I have read and accept “${doc.title}”`)),
    error,
    h('div', { class: 'actions' }, accept))
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    if (!agreed.checked) { error.textContent = 'Tick the box to confirm you have read and accept this document.'; agreed.focus(); return }
    accept.disabled = true
    ctx.api.request<void>('POST', '/consent/accept', { kind: doc.kind, version: doc.version }).then(() => {
      if (!gone()) step(ctx, docs, i + 1, gone)
    }).catch((err: unknown) => {
      accept.disabled = false
      // A newer version was published while reading: start again with the current documents.
      if (err instanceof ApiError && err.status === 409) { ctx.go(consentPage); return }
      error.textContent = err instanceof ApiError ? err.message : 'Could not reach Bedside. Check your connection.'
    })
  })
  show(ctx.root, form)
}

async function done (ctx: Ctx): Promise<void> {
  ctx.user ??= await ctx.api.me()
  ctx.go(appointmentsPage)
}
