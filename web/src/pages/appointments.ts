import type { Appointment } from '../api.js'
import type { Ctx } from '../context.js'
import { formatTime, h, show } from '../dom.js'
import { setHeader } from './chrome.js'
import { deviceCheckPage } from './device-check.js'
import { providerVisitPage } from './provider.js'

const OPEN = new Set(['booked', 'arrived'])

export function appointmentsPage (ctx: Ctx): void {
  setHeader(ctx)
  const status = h('p', { class: 'status', role: 'status' }, 'Loading your appointments…')
  const list = h('ul', { class: 'appointments', 'aria-labelledby': 'appts-title' })
  const isPatient = ctx.user?.role === 'patient'
  show(ctx.root, h('section', { class: 'card' },
    h('h1', { id: 'appts-title' }, 'My appointments'),
    isPatient
      ? h('p', {}, 'Join from here when it is time. You can test your camera, microphone and connection first.')
      : h('p', {}, 'Start a visit to open its waiting room; patients appear in your queue as they arrive.'),
    status, list,
    isPatient ? h('button', { type: 'button', onclick: () => ctx.go((c) => deviceCheckPage(c, null)) }, 'Check my camera and microphone') : null))

  ctx.api.appointments().then((rows) => {
    const upcoming = rows.filter((a) => OPEN.has(a.status)).sort((a, b) => a.startsAt.localeCompare(b.startsAt))
    status.textContent = upcoming.length ? `${upcoming.length} upcoming appointment${upcoming.length > 1 ? 's' : ''}.` : 'No upcoming appointments.'
    list.replaceChildren(...upcoming.map((a) => item(ctx, a)))
  }).catch((err: unknown) => { status.textContent = `Could not load appointments: ${(err as Error).message}` })
}

function item (ctx: Ctx, a: Appointment): HTMLElement {
  const when = formatTime(a.startsAt)
  const action = ctx.user?.role === 'patient'
    ? h('button', { type: 'button', class: 'primary', 'aria-label': `Join video visit at ${when}`, onclick: () => ctx.go((c) => deviceCheckPage(c, { appointmentId: a.id })) }, 'Join video visit')
    : h('button', { type: 'button', class: 'primary', 'aria-label': `Start visit at ${when}`, onclick: () => ctx.go((c) => providerVisitPage(c, a)) }, 'Start visit')
  return h('li', { class: 'appointment' },
    h('div', {}, h('strong', {}, when), h('span', { class: 'muted' }, ` · ${a.status === 'arrived' ? 'checked in' : 'booked'}`)),
    action)
}
