import type { Appointment } from '../api.js'
import type { Ctx } from '../context.js'
import { h, show } from '../dom.js'
import { loadPrefs } from '../media/device-prefs.js'
import { openLocalMedia, stopMedia } from '../media/devices.js'
import { joinVisit } from '../visit/session.js'
import { appointmentsPage } from './appointments.js'
import { setHeader } from './chrome.js'
import { visitPage } from './visit.js'

/** A provider (or staff) opens the visit: admitted at once, with the waiting-room queue beside the call. */
export function providerVisitPage (ctx: Ctx, appt: Appointment): () => void {
  setHeader(ctx)
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Opening the visit…')
  show(ctx.root, h('section', { class: 'card narrow' }, h('h1', {}, 'Starting visit'), status,
    h('button', { type: 'button', onclick: () => ctx.go(appointmentsPage) }, 'Back')))
  let cancelled = false
  let local: MediaStream | undefined
  void (async () => {
    // The devices chosen on this browser's device check, if any.
    const media = await openLocalMedia(loadPrefs())
    local = media.stream
    if (cancelled) { stopMedia(local); return }
    const session = await joinVisit(ctx.api, appt.id, { camera: media.camera, microphone: media.microphone, connectivity: 'untested' })
    if (cancelled) { session.close(); stopMedia(local); return }
    if (session.joined.state !== 'admitted') { status.textContent = 'This account cannot host the visit.'; session.close(); return }
    const snapshot = session.joined.visit
    const stream = local
    local = undefined
    ctx.go((c) => visitPage(c, { session, local: stream, snapshot, host: true }))
  })().catch((err: unknown) => { status.textContent = `Could not open the visit: ${(err as Error).message}` })
  return () => { cancelled = true; stopMedia(local) }
}
