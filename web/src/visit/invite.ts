import type { Api } from '../api.js'
import { h } from '../dom.js'

/** Host panel: a one-time link for an interpreter or family member, who then waits for admission like the patient. */
export function createInvite (api: Api, appointmentId: string) {
  const kind = h('select', { id: 'guest-kind' },
    h('option', { value: 'interpreter' }, 'Interpreter'), h('option', { value: 'family' }, 'Family member'), h('option', { value: 'other' }, 'Other'))
  const label = h('input', { type: 'text', id: 'guest-label', maxlength: 80, placeholder: 'e.g. Spanish interpreter' })
  const out = h('div', { class: 'invite-out', 'aria-live': 'polite' })
  const error = h('p', { class: 'error', role: 'alert' })
  const form = h('form', { class: 'invite-form' },
    h('label', { for: 'guest-kind' }, 'Guest'), kind,
    h('label', { for: 'guest-label' }, 'Shown as'), label,
    h('button', { type: 'submit' }, 'Create invite link'), error)
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.textContent = ''
    const text = label.value.trim()
    if (!text) { error.textContent = 'Say how the guest is shown, e.g. "Spanish interpreter".'; return }
    api.inviteGuest(appointmentId, kind.value as 'interpreter', text).then((r) => {
      // The secret goes in the fragment: browsers never send it to a server.
      const link = `${location.origin}/#invite=${r.inviteToken}`
      const field = h('input', { type: 'text', readonly: true, value: link, id: 'invite-link', 'aria-label': 'Invite link' })
      const copy = h('button', { type: 'button' }, 'Copy link')
      copy.addEventListener('click', () => {
        field.select()
        void navigator.clipboard?.writeText(link).then(() => { copy.textContent = 'Copied' }, () => undefined)
      })
      out.replaceChildren(h('p', {}, `One-time link for ${text}, valid until ${new Date(r.expiresAt).toLocaleTimeString()}:`), field, copy)
      label.value = ''
    }).catch((err: unknown) => { error.textContent = `Could not create the invite: ${(err as Error).message}` })
  })
  return h('details', { class: 'invite' }, h('summary', {}, 'Invite a guest'), form, out)
}
