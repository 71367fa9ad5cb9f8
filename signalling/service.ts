import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket } from 'ws'
import { ConfigError, type Config } from '../config/load.js'
import { appendAudit } from '../core/audit/audit-log.js'
import type { PhiCipher } from '../core/crypto/phi.js'
import type { PhiVault } from '../core/crypto/vault.js'
import type { Db } from '../core/db/db.js'
import { createMediaEngine, type MediaEngine } from '../media/engine.js'
import { connectMediaNodes } from '../media/remote-setup.js'
import { mediaNodeProblems } from '../media/settings.js'
import { issueTurnCredentials, TurnNotConfigured, type TurnCredentialRequest, type TurnCredentials } from '../turn/credentials.js'
import { turnCredentialSettings } from '../turn/settings.js'
import { findAppointment, isOpenForVisit } from './appointments.js'
import { acceptConnection, JoinRefused, type Connection, type ConnectionHost, type ConnectionMeta } from './connection.js'
import { SignalError } from './errors.js'
import { createGuestStore } from './guests.js'
import type { Identity } from './participant.js'
import { CloseCodes, ErrorCodes, type IceServerOut } from './protocol.js'
import { createVisitRegistry } from './registry.js'
import { createTicketStore } from './tickets.js'

export interface SignallingDeps {
  config: Config
  db: Db
  phi: PhiCipher
  /** The server's PHI vault: chat is sealed with the patient's data key. */
  vault: PhiVault
  log: FastifyBaseLogger
  /** An engine the caller owns (tests); otherwise one is created from config.media on first use and closed with the service. */
  engine?: MediaEngine
  /** TURN credential issuer (the TURN plugin's); defaults to turn/credentials.ts with config.turn. */
  issueTurn?: (req: TurnCredentialRequest) => TurnCredentials
}

/** Everything behind GET /ws and the ticket routes, one per API process. */
export function createSignalling (deps: SignallingDeps) {
  const { config, db, phi, vault, log } = deps
  const s = config.signalling
  const tickets = createTicketStore(db, s.ticketTtl)
  const guests = createGuestStore(db, phi, s.guestInviteTtl)
  const turnSettings = turnCredentialSettings(config)
  const issueTurn = deps.issueTurn ?? ((req: TurnCredentialRequest) => issueTurnCredentials(req, turnSettings))
  const connections = new Set<Connection>()
  // MEDIA_NODES=remote without Redis or the node secret must stop the API now, not at the first visit.
  const nodeProblems = deps.engine ? [] : mediaNodeProblems(config, 'api')
  if (nodeProblems.length > 0) throw new ConfigError(nodeProblems)

  const createEngine = (): Promise<MediaEngine> => {
    if (deps.engine) return Promise.resolve(deps.engine)
    if (config.media.nodes === 'local') return createMediaEngine(config.media, log)
    const m = config.media
    return connectMediaNodes({
      redisUrl: config.stores.redisUrl!, secret: m.nodeSecret!, heartbeatMs: m.nodeHeartbeatMs, ttlMs: m.nodeTtlMs,
      prefix: m.nodeRegistryPrefix, ...(m.engine === 'auto' ? {} : { kind: m.engine })
    }, log)
  }
  let enginePromise: Promise<MediaEngine> | undefined
  const engine = (): Promise<MediaEngine> => {
    enginePromise ??= createEngine().then((e) => {
      e.onEvent((ev) => registry.handleMediaEvent(ev))
      return e
    })
    return enginePromise
  }

  const iceServers = (participantId: string, ttlSeconds: number): IceServerOut[] => {
    try {
      const c = issueTurn({ participantId, ttlSeconds: Math.min(ttlSeconds, turnSettings.maxTtlSeconds) })
      return [{ urls: c.urls, username: c.username, credential: c.credential, expiresAt: c.expiresAt }]
    } catch (err) {
      if (err instanceof TurnNotConfigured) return []
      throw err
    }
  }

  const registry = createVisitRegistry({
    db, engine, iceServers, log,
    settings: { resumeGraceMs: s.resumeGrace * 1000, maxParticipants: s.maxParticipants, turnTtl: s.turnTtl }
  })

  const refuse = async (meta: ConnectionMeta, reason: string, appointmentId?: string): Promise<never> => {
    await appendAudit(db, {
      action: 'visit.join', outcome: 'denied', targetType: appointmentId ? 'appointment' : null, targetId: appointmentId ?? null,
      requestId: meta.requestId, ip: meta.ip, details: { reason }
    })
    throw new JoinRefused(ErrorCodes.ticketInvalid, `Visit ticket refused (${reason}); request a new one`, CloseCodes.ticketInvalid)
  }

  const host: ConnectionHost = {
    limits: {
      maxMessageBytes: s.maxMessageBytes, rateBurst: s.rateBurst, ratePerSecond: s.ratePerSecond,
      rateStrikes: s.rateStrikes, maxInvalid: s.maxInvalid, joinTimeoutMs: s.joinTimeout * 1000
    },
    log,
    async join (data, sink, meta) {
      const ticket = await tickets.redeem(data.ticket)
      if (!ticket.ok) return refuse(meta, ticket.reason)
      const appt = await findAppointment(db, ticket.appointmentId)
      if (!appt || !isOpenForVisit(appt)) {
        return refuse(meta, 'appointment not open', ticket.appointmentId)
      }
      let identity: Identity
      if (ticket.holder.kind === 'guest') {
        const guest = await guests.get(ticket.holder.guestId)
        if (!guest) return refuse(meta, 'invite revoked', appt.id)
        identity = { kind: 'guest', guestId: guest.guestId, guestKind: guest.guestKind, label: guest.label }
      } else {
        // The account may have been disabled since the ticket was issued.
        const live = await db.query('SELECT 1 FROM users WHERE id = $1 AND disabled_at IS NULL', [ticket.holder.userId])
        if (live.rowCount === 0) return refuse(meta, 'account disabled', appt.id)
        identity = ticket.holder
      }
      for (let attempt = 0; ; attempt++) {
        const visit = await registry.visitFor(appt.id)
        try {
          const { p, result } = await visit.join(identity, sink, data.deviceCheck)
          return { visit, p, result }
        } catch (err) {
          // The last participant left between lookup and join: that visit is gone, open the next one.
          if (attempt === 0 && err instanceof SignalError && err.code === ErrorCodes.visitEnded && visit.closed && !visit.ended) continue
          if (err instanceof SignalError && err.code === ErrorCodes.visitEnded) throw new JoinRefused(err.code, err.message, CloseCodes.visitEnded)
          throw err
        }
      }
    },
    async resume (token, sink, meta) {
      const hit = registry.takeResume(token)
      if (!hit) return refuse(meta, 'resume token unknown or expired')
      try {
        const result = await hit.visit.resume(hit.participant, sink)
        return { visit: hit.visit, p: hit.participant, result }
      } catch (err) {
        if (err instanceof SignalError && err.code === ErrorCodes.visitEnded) throw new JoinRefused(err.code, err.message, CloseCodes.visitEnded)
        throw err
      }
    },
    context: (visit, p) => ({ visit, p, db, vault, guests, engine, log }),
    track (c) { connections.add(c); return () => connections.delete(c) }
  }

  // One sweep for all sockets: ping, and close those silent for two intervals.
  const beatMs = s.heartbeatInterval * 1000
  const heartbeat = setInterval(() => {
    const cutoff = Date.now() - 2 * beatMs
    for (const c of connections) {
      if (c.lastSeen < cutoff) { c.close(CloseCodes.idle, 'heartbeat missed'); c.terminate() } else c.ping()
    }
  }, beatMs)
  heartbeat.unref()
  // Used and expired tickets are worthless; keep the table small.
  const prune = setInterval(() => {
    tickets.prune().catch((err) => log.warn({ err: (err as Error).name }, 'visit ticket pruning failed'))
  }, 3_600_000)
  prune.unref()

  return {
    tickets,
    guests,
    registry,
    engine,
    get connections () { return connections.size },
    accept (socket: WebSocket, meta: ConnectionMeta) { return acceptConnection(socket, meta, host) },
    async close (): Promise<void> {
      clearInterval(heartbeat)
      clearInterval(prune)
      await registry.shutdown()
      for (const c of connections) c.close(CloseCodes.goingAway, 'server shutting down')
      if (enginePromise && !deps.engine) await (await enginePromise).close()
    }
  }
}
export type Signalling = ReturnType<typeof createSignalling>
