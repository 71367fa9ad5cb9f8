import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'
import { Forbidden, NotFound, Unprocessable } from '../core/errors.js'
import type { MediaEngine } from '../media/engine.js'
import type { TurnCredentialRequest, TurnCredentials } from '../turn/credentials.js'
import { findAppointment } from './appointments.js'
import { GuestKindSchema, GuestLabel, PROTOCOL_VERSION } from './protocol.js'
import { createSignalling, type Signalling } from './service.js'
import { assertJoinable, assertOpen, authoriseVisitTicket, isVisitHost } from './ticket-policy.js'

declare module 'fastify' { interface FastifyInstance { signalling: Signalling } }

export interface SignallingPluginOptions {
  /** A media engine the caller owns and closes (tests, benchmarks); default: created from config.media. */
  engine?: MediaEngine
}

const AppointmentParams = Type.Object({ appointmentId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })
const ErrorBody = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String(), code: Type.Optional(Type.String()) })
const TicketReply = Type.Object({
  ticket: Type.String(), expiresAt: Type.String(), protocolVersion: Type.Integer(),
  /** Path of the WebSocket; the ticket goes in the first message, never in this URL. */
  ws: Type.String()
})
const Token = Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })
const WsQuery = Type.Object({ route: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })) }, { additionalProperties: false })

/**
 * Where a visit's sockets connect. A visit lives in one API process, so with
 * several behind a proxy every participant must reach the same one: `route`
 * is the same for everyone in a visit and says nothing else about it (a
 * truncated hash of the appointment id), for the proxy to hash on
 * (nginx: `hash $arg_route consistent;`). The server itself ignores it.
 */
export const visitSocketPath = (appointmentId: string): string =>
  `/ws?route=${createHash('sha256').update(`bedside-visit-route:${appointmentId}`).digest('hex').slice(0, 16)}`
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody }

/** GET /ws, visit tickets and guest invites. */
export default fp<SignallingPluginOptions>(async function signalling (f: FastifyInstance, opts) {
  const s = f.config.signalling
  const window = { earlyMinutes: s.joinEarlyMinutes, lateMinutes: s.joinLateMinutes }
  // The TURN plugin's issuer when it is registered (same secret either way).
  const turn = f.hasDecorator('turn') ? (f as unknown as { turn: { issue (r: TurnCredentialRequest): TurnCredentials } }).turn : undefined
  const svc = createSignalling({
    config: f.config, db: f.db, phi: f.phi, vault: f.phiVault, log: f.log, engine: opts.engine,
    issueTurn: turn ? (r) => turn.issue(r) : undefined
  })
  f.decorate('signalling', svc)
  f.addHook('preClose', async () => { await svc.close() })

  const allowedOrigins = new Set([new URL(f.config.server.publicUrl).origin, ...f.config.server.corsOrigins.map((o) => new URL(o).origin)])
  // Browsers always send Origin on a WebSocket; a page from another site must not open visits with a stolen ticket.
  const checkOrigin = async (req: FastifyRequest) => {
    const origin = req.headers.origin
    if (typeof origin === 'string' && !allowedOrigins.has(origin)) throw new Forbidden()
  }

  f.get('/ws', {
    websocket: true,
    config: { access: 'public' },
    onRequest: checkOrigin,
    schema: {
      tags: ['Visits'], querystring: WsQuery,
      summary: 'Visit signalling WebSocket (protocol v1, see signalling/PROTOCOL.md); send join with a visit ticket first. Connect to the `ws` path a ticket reply gives.'
    }
  }, (socket, req) => { svc.accept(socket, { requestId: req.id, ip: req.ip }) })

  f.post('/visits/:appointmentId/ticket', {
    config: { access: { roles: ['patient', 'provider', 'staff'] } },
    schema: {
      tags: ['Visits'], summary: 'A single-use visit ticket (60 s) for the appointment\'s patient, provider or staff',
      params: AppointmentParams, response: { 201: TicketReply, ...errors }
    }
  }, async (req, reply) => {
    const user = req.user!
    const { appointmentId } = req.params as { appointmentId: string }
    let role: string
    try {
      role = (await authoriseVisitTicket(f.db, user, appointmentId, window)).role
    } catch (err) {
      await req.audit({ action: 'visit.ticket.issue', outcome: 'denied', targetType: 'appointment', targetId: appointmentId, details: { reason: (err as Error).message } })
      throw err
    }
    const issued = await svc.tickets.issue(appointmentId, { kind: 'user', userId: user.id, role: role as 'patient' })
    await req.audit({ action: 'visit.ticket.issue', outcome: 'success', targetType: 'appointment', targetId: appointmentId, details: { role } })
    return reply.code(201).send({ ticket: issued.ticket, expiresAt: issued.expiresAt.toISOString(), protocolVersion: PROTOCOL_VERSION, ws: visitSocketPath(appointmentId) })
  })

  f.post('/visits/:appointmentId/guests', {
    config: { access: { roles: ['provider', 'staff'] } },
    schema: {
      tags: ['Visits'], summary: 'One-time invite link secret for a guest (interpreter, family member); the guest waits for admission',
      params: AppointmentParams,
      body: Type.Object({ guestKind: GuestKindSchema, label: GuestLabel }, { additionalProperties: false }),
      response: { 201: Type.Object({ inviteId: Type.String(), inviteToken: Type.String(), expiresAt: Type.String() }), ...errors }
    }
  }, async (req, reply) => {
    const user = req.user!
    const { appointmentId } = req.params as { appointmentId: string }
    const { guestKind, label } = req.body as { guestKind: 'interpreter'; label: string }
    const appt = await findAppointment(f.db, appointmentId)
    if (!appt || !isVisitHost(user, appt)) throw new NotFound('Appointment')
    // Invites may go out ahead of the visit; the guest's ticket waits for the join window.
    assertOpen(appt)
    const invite = await svc.guests.invite(appointmentId, user.id, guestKind, label)
    await req.audit({ action: 'visit.guest.invite', outcome: 'success', targetType: 'appointment', targetId: appointmentId, details: { inviteId: invite.inviteId, guestKind } })
    return reply.code(201).send({ inviteId: invite.inviteId, inviteToken: invite.inviteToken, expiresAt: invite.expiresAt.toISOString() })
  })

  f.post('/guest-invites/ticket', {
    // Anyone holding the link may call this; the secret is in the body, never the URL.
    config: { access: 'public', rateLimit: { max: 10, timeWindow: 60_000 } },
    schema: {
      tags: ['Visits'], summary: 'Redeems a one-time guest invite for a visit ticket',
      body: Type.Object({ inviteToken: Token }, { additionalProperties: false }),
      response: { 201: Type.Object({ ticket: Type.String(), expiresAt: Type.String(), appointmentId: Type.String(), protocolVersion: Type.Integer(), ws: Type.String() }), ...errors }
    }
  }, async (req, reply) => {
    const { inviteToken } = req.body as { inviteToken: string }
    // Check the visit is open before spending the one-time link, so an early click does not burn it.
    const pending = await svc.guests.appointmentOf(inviteToken)
    const appt = pending ? await findAppointment(f.db, pending) : null
    if (appt) assertJoinable(appt, window)
    const redeemed = await svc.guests.redeem(inviteToken)
    if (!redeemed.ok) {
      await req.audit({ action: 'visit.guest.redeem', outcome: 'denied', details: { reason: redeemed.reason } })
      throw new Unprocessable(`This invite link is ${redeemed.reason === 'unknown' ? 'not valid' : redeemed.reason === 'used' ? 'already used' : 'expired'}`)
    }
    const { guest } = redeemed
    // The invite row appointmentOf read (token hashes are unique): its appointment is checked above, not read again.
    if (!appt) throw new NotFound('Appointment')
    const issued = await svc.tickets.issue(guest.appointmentId, { kind: 'guest', guestId: guest.guestId, role: 'guest' })
    await req.audit({ action: 'visit.guest.redeem', outcome: 'success', actorId: guest.guestId, actorRole: 'guest', targetType: 'appointment', targetId: guest.appointmentId, details: { inviteId: guest.guestId } })
    return reply.code(201).send({ ticket: issued.ticket, expiresAt: issued.expiresAt.toISOString(), appointmentId: guest.appointmentId, protocolVersion: PROTOCOL_VERSION, ws: visitSocketPath(guest.appointmentId) })
  })
}, { name: 'signalling', dependencies: ['services', 'access', 'audit'] })
