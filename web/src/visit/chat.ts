import { h } from '../dom.js'
import type { ChatMessage, ParticipantInfo } from '../protocol.js'

/** Chat panel: a log region (read out politely by screen readers) and a labelled form. */
export function createChat (send: (text: string) => Promise<void>, who: (participantId: string) => string) {
  const log = h('ol', { class: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Chat messages' })
  const input = h('input', { type: 'text', id: 'chat-input', maxlength: 2000, autocomplete: 'off' })
  const error = h('p', { class: 'error', role: 'alert' })
  const form = h('form', { class: 'chat-form' },
    h('label', { for: 'chat-input', class: 'visually-hidden' }, 'Message'),
    input, h('button', { type: 'submit' }, 'Send'))
  const seen = new Set<string>()
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const text = input.value.trim()
    if (!text) return
    error.textContent = ''
    send(text).then(() => { input.value = '' }, (err: unknown) => { error.textContent = `Not sent: ${(err as Error).message}` })
  })
  const add = (m: ChatMessage): void => {
    if (seen.has(m.messageId)) return
    seen.add(m.messageId)
    const time = new Date(m.sentAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    log.append(h('li', { class: 'chat-msg' }, h('span', { class: 'chat-from' }, `${who(m.from)} · ${time}`), h('span', { class: 'chat-text' }, m.text)))
    log.scrollTop = log.scrollHeight
  }
  const el = h('section', { class: 'chat', 'aria-labelledby': 'chat-title' }, h('h2', { id: 'chat-title' }, 'Chat'), log, form, error)
  return { el, add }
}

export const nameOf = (me: string, people: Map<string, ParticipantInfo>) => (pid: string): string => {
  if (pid === me) return 'You'
  const p = people.get(pid)
  if (!p) return 'Participant'
  if (p.role === 'guest') return p.label ?? 'Guest'
  return p.role === 'provider' ? 'Provider' : p.role === 'staff' ? 'Care team' : 'Patient'
}
