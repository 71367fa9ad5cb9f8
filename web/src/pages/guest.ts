import { ApiError } from '../api.js'
import type { Ctx } from '../context.js'
import { h, show } from '../dom.js'
import { deviceCheckPage } from './device-check.js'

/**
 * A guest (interpreter, family member) arrives with an invite link whose
 * secret is in the fragment (never sent to a server in a request line). The
 * fragment is wiped from the address bar at once; the secret is traded for a
 * visit ticket and the guest goes through the device check and waits.
 */
export function guestPage (ctx: Ctx, inviteToken: string): void {
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Opening your invitation…')
  show(ctx.root, h('section', { class: 'card narrow' }, h('h1', {}, 'Join a video visit'), status))
  ctx.api.guestTicket(inviteToken).then((t) => {
    ctx.go((c) => deviceCheckPage(c, { appointmentId: t.appointmentId, guestTicket: t }))
  }).catch((err: unknown) => {
    status.textContent = err instanceof ApiError ? err.message : 'Could not reach Bedside.'
  })
}

/** Reads and removes `#invite=…` from the address, so it is not left in history or shared by accident. */
export function takeInvite (): string | null {
  const m = /^#invite=([A-Za-z0-9_-]{20,200})$/.exec(location.hash)
  if (location.hash) history.replaceState(null, '', location.pathname)
  return m ? m[1]! : null
}
