import { field, h } from '../dom.js'

/** The server's single-factor minimum (server/auth/password-policy.ts); the server's 4xx message stays the authority. */
export const PASSWORD_MIN = 15
export const PASSWORD_MAX = 128

/**
 * A new-password field with the policy spelled out beside it (linked by
 * aria-describedby so screen readers read it with the field) and a live,
 * polite length count. Only length is checked here; the server also refuses
 * common and breached passwords and says so in its message.
 */
export function newPasswordField (o: { min?: number; hint?: string } = {}): { el: HTMLElement; input: HTMLInputElement; problem: () => string | null } {
  const min = o.min ?? PASSWORD_MIN
  const input = h('input', { type: 'password', name: 'new-password', autocomplete: 'new-password', required: true, minlength: min, maxlength: PASSWORD_MAX * 4 })
  const hintId = `pw-hint-${Math.random().toString(36).slice(2, 8)}`
  const count = h('span', { class: 'muted', 'aria-live': 'polite' })
  const hint = h('div', { id: hintId, class: 'hint' },
    h('p', {}, `${o.hint ?? `At least ${PASSWORD_MIN} characters.`} A passphrase of several ordinary words is welcome and easier to remember, ` +
      'for example four or five words with spaces. No need for symbols or capitals; very common passwords are refused.'),
    count)
  input.setAttribute('aria-describedby', hintId)
  const length = () => [...input.value.normalize('NFKC')].length
  input.addEventListener('input', () => {
    const n = length()
    count.textContent = n === 0 ? '' : n < min ? `${n} characters: ${min - n} more needed.` : `${n} characters: long enough.`
  })
  const show = h('input', { type: 'checkbox', id: `${hintId}-show` })
  show.addEventListener('change', () => { input.type = show.checked ? 'text' : 'password' })
  const el = h('div', {}, field('New password', input), hint, h('div', { class: 'check' }, show, h('label', { for: show.id }, 'Show password')))
  return {
    el, input,
    problem: () => {
      const n = length()
      if (n === 0) return 'Choose a password.'
      if (n < min) return `The password needs at least ${min} characters (it has ${n}). Try a passphrase of a few words.`
      return null
    }
  }
}

