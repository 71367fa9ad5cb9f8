import { ApiError } from '../api.js'
import type { Ctx } from '../context.js'
import { field, h, show } from '../dom.js'
import { appointmentsPage } from './appointments.js'
import { setHeader } from './chrome.js'

interface Enrolment { otpauthUri: string; qrDataUrl: string }
interface Confirmed { recoveryCodes: string[]; accessToken: string; expiresIn: number }

const message = (err: unknown) => err instanceof ApiError ? err.message : 'Could not reach Bedside. Check your connection.'

/** The secret of an otpauth:// URI, in groups of four for typing into an app by hand. */
function manualKey (uri: string): string {
  try {
    const secret = new URL(uri).searchParams.get('secret') ?? ''
    return secret.replace(/(.{4})(?=.)/g, '$1 ')
  } catch { return '' }
}

/**
 * Two-step sign-in set-up for providers, staff and admins (their sign-in says
 * mfaEnrolmentRequired; every other route answers BDS_ERR_MFA_REQUIRED until
 * this is done). QR code or typed key, one code to confirm, then the recovery
 * codes once. The confirmation returns an access token for the MFA session.
 */
export function mfaEnrolPage (ctx: Ctx): () => void {
  setHeader(ctx)
  let gone = false
  const status = h('p', { class: 'status', role: 'status' }, 'Preparing two-step sign-in…')
  show(ctx.root, h('section', { class: 'card narrow' }, h('h1', {}, 'Set up two-step sign-in'), status))
  ctx.api.request<Enrolment>('POST', '/auth/mfa/enrol', {}).then((e) => { if (!gone) scanStep(ctx, e, () => gone) })
    .catch((err: unknown) => { if (!gone) status.textContent = message(err) })
  return () => { gone = true }
}

function scanStep (ctx: Ctx, e: Enrolment, gone: () => boolean): void {
  const code = h('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: true })
  const error = h('p', { class: 'error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Turn on two-step sign-in')
  const key = manualKey(e.otpauthUri)
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'enrol-title' },
    h('h1', { id: 'enrol-title' }, 'Set up two-step sign-in'),
    h('p', {}, 'Your role needs a second step at sign-in. Use an authenticator app on your phone (for example FreeOTP, Aegis, Google or Microsoft Authenticator).'),
    h('ol', { class: 'steps' },
      h('li', {}, 'In the app, add an account and scan this QR code:',
        h('img', { class: 'qr', src: e.qrDataUrl, width: 200, height: 200, alt: 'QR code for your authenticator app; the same key is written out below.' })),
      h('li', {}, 'Cannot scan? Choose "enter a key" in the app and type this key (time-based):',
        h('code', { class: 'secret' }, key)),
      h('li', {}, 'Enter the 6-digit code the app now shows.')),
    field('Code from the app', code), error, submit)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    const value = code.value.replace(/\s+/g, '')
    if (!/^[0-9]{6}$/.test(value)) { error.textContent = 'The code has 6 digits.'; code.focus(); return }
    submit.disabled = true
    ctx.api.request<Confirmed>('POST', '/auth/mfa/confirm', { code: value }).then((c) => {
      ctx.api.adoptAccessToken(c.accessToken, c.expiresIn)
      if (!gone()) recoveryStep(ctx, c.recoveryCodes)
    }).catch((err: unknown) => {
      error.textContent = message(err)
      submit.disabled = false
      code.select()
    })
  })
  show(ctx.root, form)
}

function recoveryStep (ctx: Ctx, codes: string[]): void {
  const saved = h('input', { type: 'checkbox', id: 'codes-saved' })
  const error = h('p', { class: 'error', role: 'alert' })
  const next = h('button', { type: 'submit', class: 'primary' }, 'Continue')
  const list = h('ol', { class: 'recovery-codes', 'aria-label': 'Recovery codes' }, ...codes.map((c) => h('li', {}, h('code', {}, c))))
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'codes-title' },
    h('h1', { id: 'codes-title' }, 'Save your recovery codes'),
    h('p', {}, 'Two-step sign-in is on. If you lose your phone, each of these codes signs you in once instead of the app. ',
      h('strong', {}, 'They are shown only now.'), ' Print them or keep them in a password manager, not on the same phone.'),
    list,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => window.print() }, 'Print')),
    h('div', { class: 'check' }, saved, h('label', { for: saved.id }, 'I have saved my recovery codes')),
    error, next)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    if (!saved.checked) { error.textContent = 'Tick the box once your codes are saved somewhere safe.'; saved.focus(); return }
    next.disabled = true
    ctx.api.me().then((me) => { ctx.user = me; ctx.go(appointmentsPage) })
      .catch((err: unknown) => { error.textContent = message(err); next.disabled = false })
  })
  show(ctx.root, form)
}
