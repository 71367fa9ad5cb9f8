import type { FastifyBaseLogger } from 'fastify'
import type { PhiVault } from '../core/crypto/vault.js'
import type { Db } from '../core/db/db.js'
import type { MediaEngine } from '../media/engine.js'
import { sendChat } from './chat.js'
import { engineCall, forbidden, notAdmitted, withTimeout } from './errors.js'
import type { GuestStore } from './guests.js'
import { actorOf, isHost, type Participant } from './participant.js'
import { Methods, type DataOf, type MethodName } from './protocol.js'
import { mediaHandlers } from './visit-media.js'
import type { Visit } from './visit.js'

export interface HandlerContext {
  visit: Visit
  p: Participant
  db: Db
  vault: PhiVault
  guests: GuestStore
  engine: () => Promise<MediaEngine>
  log: FastifyBaseLogger
}

// Longer than any honest negotiation step (werift waits for ICE gathering), short enough to free the socket's queue.
const MEDIA_TIMEOUT_MS = 20_000

type Handler = (c: HandlerContext, data: any) => Promise<unknown>

/** Refuses a request the participant's standing does not allow, before anything runs. */
export function checkAllowed (method: MethodName, p: Participant): void {
  const allowed = Methods[method].allowed
  if (allowed === 'waiting' || allowed === 'any') return
  if (p.state !== 'admitted') throw notAdmitted()
  if (allowed === 'host' && !isHost(p)) throw forbidden(`use ${method}`)
}

const media = <M extends keyof ReturnType<typeof mediaHandlers>>(m: M): Handler =>
  (c, d) => withTimeout(engineCall(m, () => (mediaHandlers(c.visit, c.p, c.engine)[m] as (d: unknown) => Promise<unknown>)(d),
    (err) => c.log.warn({ err: { name: (err as Error)?.name, message: (err as Error)?.message }, method: m }, 'media engine threw on a client request')),
  MEDIA_TIMEOUT_MS, m)

/** Every method a joined participant may call (join and resume are the connection's own). */
export const handlers: Record<Exclude<MethodName, 'join' | 'resume'>, Handler> = {
  ping: async () => ({ now: new Date().toISOString() }),
  deviceCheck: async (c, d: DataOf<'deviceCheck'>) => { c.visit.updateDeviceCheck(c.p, d); return {} },
  leave: async (c) => { await c.visit.leave(c.p); return {} },

  admit: async (c, d: DataOf<'admit'>) => { await c.visit.admit(c.p, d.participantId); return {} },
  decline: async (c, d: DataOf<'decline'>) => { await c.visit.decline(c.p, d.participantId); return {} },
  sendToWaiting: async (c, d: DataOf<'sendToWaiting'>) => { await c.visit.sendToWaiting(c.p, d.participantId); return {} },
  inviteGuest: async (c, d: DataOf<'inviteGuest'>) => {
    const actor = actorOf(c.p)
    const invite = await c.guests.invite(c.visit.appointmentId, actor.actorId, d.guestKind, d.label)
    await c.visit.audit({ action: 'visit.guest.invite', outcome: 'success', ...actor, details: { inviteId: invite.inviteId, guestKind: d.guestKind } })
    return { inviteId: invite.inviteId, inviteToken: invite.inviteToken, expiresAt: invite.expiresAt.toISOString() }
  },
  endVisit: async (c) => { await c.visit.end(c.p); return {} },

  setCapabilities: media('setCapabilities'),
  createTransport: media('createTransport'),
  connectTransport: media('connectTransport'),
  produce: media('produce'),
  consume: media('consume'),
  resumeConsumer: media('resumeConsumer'),
  pauseConsumer: media('pauseConsumer'),
  setPreferredLayers: media('setPreferredLayers'),
  requestKeyFrame: media('requestKeyFrame'),
  pauseProducer: media('pauseProducer'),
  resumeProducer: media('resumeProducer'),
  closeProducer: media('closeProducer'),
  restartIce: media('restartIce'),

  chat: async (c, d: DataOf<'chat'>) => ({ message: await sendChat(c.db, c.vault, c.visit, c.p, d.text) })
}
