import { announce, h } from '../dom.js'
import type { DeviceCheck, QueueEntry } from '../protocol.js'

const CONN: Record<DeviceCheck['connectivity'], string> = {
  direct: 'direct', 'turn-udp': 'TURN UDP', 'turn-tcp': 'TURN TCP', 'turn-tls': 'TURN TLS', failed: 'no connection', untested: 'not tested'
}

export function describeCheck (c: DeviceCheck | null): string {
  if (!c) return 'Device check: not done yet'
  const dev = (s: string) => (s === 'ok' ? 'ok' : s)
  return `Camera ${dev(c.camera)} · microphone ${dev(c.microphone)} · connection ${CONN[c.connectivity]}${c.rttMs !== undefined ? ` (${c.rttMs} ms)` : ''}`
}

/** The provider's live waiting-room queue with admit / decline per entry. */
export function createQueue (act: (what: 'admit' | 'decline', participantId: string) => Promise<void>) {
  const list = h('ul', { class: 'queue-list' })
  const count = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' }, 'Nobody is waiting.')
  const el = h('section', { class: 'queue', 'aria-labelledby': 'queue-title' }, h('h2', { id: 'queue-title' }, 'Waiting room'), count, list)
  let known = new Set<string>()

  const render = (entries: QueueEntry[]): void => {
    const fresh = entries.filter((e) => !known.has(e.participantId))
    known = new Set(entries.map((e) => e.participantId))
    count.textContent = entries.length === 0 ? 'Nobody is waiting.' : `${entries.length} waiting.`
    if (fresh.length > 0) announce(`${fresh.length === 1 ? 'A participant is' : `${fresh.length} participants are`} waiting to be admitted.`)
    list.replaceChildren(...entries.map((e, i) => {
      const who = e.role === 'guest' ? (e.label ?? 'Guest') : 'Patient'
      const since = new Date(e.waitingSince).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
      const admit = h('button', { type: 'button', class: 'primary', 'aria-label': `Admit ${who} ${i + 1}` }, 'Admit')
      const decline = h('button', { type: 'button', class: 'danger', 'aria-label': `Decline ${who} ${i + 1}` }, 'Decline')
      const run = (what: 'admit' | 'decline') => () => {
        admit.disabled = true; decline.disabled = true
        act(what, e.participantId).catch(() => { admit.disabled = false; decline.disabled = false })
      }
      admit.addEventListener('click', run('admit'))
      decline.addEventListener('click', run('decline'))
      return h('li', { class: 'queue-entry', 'data-participant': e.participantId },
        h('div', {},
          h('strong', {}, who), h('span', { class: 'muted' }, ` · waiting since ${since}${e.sentBack ? ' · sent back' : ''}${e.connected ? '' : ' · disconnected'}`),
          h('p', { class: 'check-summary' }, describeCheck(e.deviceCheck))),
        h('div', { class: 'queue-actions' }, admit, decline))
    }))
  }
  return { el, render }
}
