import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { appendAudit, type AuditEntry } from '../core/audit/audit-log.js'
import type { Db } from '../core/db/db.js'
import type { MediaEngine } from '../media/engine.js'
import { markArrived } from './appointments.js'
import { conflict, notFound, visitEnded } from './errors.js'
import {
  actorOf, identityKey, infoOf, isHost, queueEntryOf, type Identity, type Participant, type SignalSink
} from './participant.js'
import { CloseCodes, type ChatMessage, type DeviceCheck, type IceServerOut, type JoinResult, type ServerMessage, type VisitSnapshot } from './protocol.js'
import { hostActions, type HostCore, type LeaveReason } from './visit-host.js'

export interface VisitDeps {
  db: Db
  engine: () => Promise<MediaEngine>
  /** TURN credentials for one participant; [] when TURN is off. */
  iceServers: (participantId: string, ttlSeconds: number) => IceServerOut[]
  resume: { issue (v: Visit, p: Participant): string; forget (p: Participant): void }
  settings: { resumeGraceMs: number; maxParticipants: number; turnTtl: number }
  log: FastifyBaseLogger
  /** Called once when the visit holds nobody (or ended): the registry drops it. */
  onEmpty: (v: Visit) => void
}


const CHAT_MEMORY = 200
const DEVICE_CHECK_TURN_TTL = 600

/**
 * One visit in this process: who is waiting, who is admitted, and the rules
 * between them. Lifecycle changes run one at a time (`run`) so a decline and
 * a leave of the same person cannot interleave.
 */
export function createVisit (id: string, appointmentId: string, patientId: string, deps: VisitDeps) {
  const participants = new Map<string, Participant>()
  const byIdentity = new Map<string, Participant>()
  // Sequence numbers, not clock times: a message and an admission can share a millisecond.
  const chat: Array<ChatMessage & { seq: number }> = []
  let chatSeq = 0
  let chain: Promise<unknown> = Promise.resolve()
  let ended = false
  let disposed = false
  let activeSpeaker: string | null = null

  const admitted = () => [...participants.values()].filter((p) => p.state === 'admitted')
  const waiting = () => [...participants.values()].filter((p) => p.state === 'waiting')
  const send = (p: Participant, m: ServerMessage) => p.sink?.send(m)
  const toAdmitted = (m: ServerMessage, except?: Participant) => { for (const p of admitted()) if (p !== except) send(p, m) }
  const audit = (e: Omit<AuditEntry, 'targetType' | 'targetId'>) =>
    appendAudit(deps.db, { targetType: 'appointment', targetId: appointmentId, ...e, details: { visitId: id, ...e.details } })

  const pushQueue = () => {
    const entries = waiting().sort((a, b) => a.waitingSince.getTime() - b.waitingSince.getTime()).map(queueEntryOf)
    for (const p of admitted()) if (isHost(p)) send(p, { event: 'queue', data: { entries } })
  }

  /** Media of a participant goes away when it leaves the visit proper (sent back, left, resumed on a new socket). */
  const closeMedia = async (p: Participant) => {
    if (!p.inMedia) return
    p.inMedia = false
    const engine = await deps.engine()
    await engine.closeParticipant({ visitId: id, participantId: p.id })
  }

  const snapshot = async (p: Participant): Promise<VisitSnapshot> => {
    const engine = await deps.engine()
    const capabilities = await engine.createRoom(id)
    const after = p.role === 'guest' ? (p.chatFrom ?? chatSeq) : 0
    return {
      visitId: id,
      appointmentId,
      you: infoOf(p),
      participants: admitted().map(infoOf),
      capabilities,
      producers: engine.listProducers(id),
      iceServers: deps.iceServers(p.id, deps.settings.turnTtl),
      // A guest joins the conversation from its admission on, not its history.
      chat: chat.filter((m) => m.seq > after).map(({ seq: _seq, ...m }) => m),
      activeSpeaker,
      ...(isHost(p) ? { queue: waiting().map(queueEntryOf) } : {})
    }
  }

  const result = async (p: Participant): Promise<JoinResult> => {
    const base = { visitId: id, participantId: p.id, role: p.role, resumeToken: deps.resume.issue(visit, p) }
    if (p.state === 'admitted') return { ...base, state: 'admitted', visit: await snapshot(p) }
    return { ...base, state: 'waiting', deviceCheckIceServers: deps.iceServers(p.id, DEVICE_CHECK_TURN_TTL) }
  }

  const attach = (p: Participant, sink: SignalSink) => {
    const old = p.sink
    if (p.graceTimer) { clearTimeout(p.graceTimer); p.graceTimer = null }
    p.sink = sink
    if (old && old !== sink) old.close(CloseCodes.replaced, 'participant connected on another socket')
  }

  const remove = async (p: Participant, reason: LeaveReason, actor?: Participant) => {
    if (participants.get(p.id) !== p) return
    participants.delete(p.id)
    byIdentity.delete(identityKey(p.identity))
    if (p.graceTimer) { clearTimeout(p.graceTimer); p.graceTimer = null }
    deps.resume.forget(p)
    const wasAdmitted = p.state === 'admitted'
    await closeMedia(p).catch((err) => deps.log.warn({ err: (err as Error).name }, 'closing media of a leaving participant failed'))
    if (wasAdmitted) toAdmitted({ event: 'participantLeft', data: { participantId: p.id, reason } })
    else pushQueue()
    await audit({ action: 'visit.leave', outcome: 'success', ...actorOf(actor ?? p), details: { participantId: p.id, reason } })
    if (participants.size === 0) await dispose()
  }

  const dispose = async () => {
    if (disposed) return
    disposed = true
    deps.onEmpty(visit)
    try {
      await (await deps.engine()).closeRoom(id)
    } catch (err) {
      // The visit is over for signalling either way; a room the engine cannot close is its own leak to report.
      deps.log.warn({ err: (err as Error).name, visitId: id }, 'closing the media room failed')
    }
  }

  const target = (targetId: string): Participant => {
    const p = participants.get(targetId)
    if (!p) throw notFound('Participant')
    return p
  }

  /** Serialises lifecycle changes of this visit. */
  const run = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn)
    chain = next.catch(() => undefined)
    return next
  }

  const chatLog = {
    remember (m: ChatMessage) { chat.push({ ...m, seq: ++chatSeq }); if (chat.length > CHAT_MEMORY) chat.shift() },
    /** The last message's sequence number; a guest admitted now sees only later ones. */
    mark (): number { return chatSeq }
  }

  const core: HostCore = {
    db: deps.db, id, appointmentId, run, target, size: () => participants.size, audit, snapshot, send, toAdmitted, pushQueue, closeMedia,
    chat: chatLog,
    remove: (p, reason, actor) => remove(p, reason, actor),
    closeAll: (m, code, reason, keepOpen) => closeAll(m, code, reason, keepOpen),
    markEnded: () => { if (ended) return false; ended = true; return true }
  }

  const visit = {
    id,
    appointmentId,
    /** The appointment's patient: chat is sealed with their data key. */
    patientId,
    get ended () { return ended },
    /** Gone from the registry (ended, or everyone left): joins must open a new one. */
    get closed () { return disposed },
    get size () { return participants.size },
    participant: (pid: string) => participants.get(pid),
    admitted,
    send,
    toAdmitted,
    pushQueue,
    closeMedia,
    audit,
    chat: chatLog,
    setActiveSpeaker (pid: string) { activeSpeaker = pid },

    run,

    /** A ticket holder arrives. Hosts go straight in; patients and guests wait for admission. */
    join (identity: Identity, sink: SignalSink, deviceCheck: DeviceCheck | undefined): Promise<{ p: Participant; result: JoinResult }> {
      return visit.run(async () => {
        if (ended || disposed) throw visitEnded()
        const existing = byIdentity.get(identityKey(identity))
        if (existing) {
          // Same person, new tab or device: it takes over the place, the old socket is told why it closes.
          attach(existing, sink)
          if (deviceCheck) existing.deviceCheck = deviceCheck
          await closeMedia(existing)
          if (existing.state === 'admitted') toAdmitted({ event: 'participantReconnected', data: { participantId: existing.id } }, existing)
          else pushQueue()
          try {
            await audit({ action: 'visit.join', outcome: 'success', ...actorOf(existing), details: { participantId: existing.id, replaced: true } })
            return { p: existing, result: await result(existing) }
          } catch (err) {
            // The socket never learns it joined, so it will never report its drop: start the grace period now.
            visit.disconnect(existing, sink)
            throw err
          }
        }
        if (participants.size >= deps.settings.maxParticipants) throw conflict('The visit is full')
        const role = identity.kind === 'guest' ? 'guest' : identity.role
        const p: Participant = {
          id: randomUUID(), role, identity, state: role === 'provider' || role === 'staff' ? 'admitted' : 'waiting',
          sink, waitingSince: new Date(), admittedAt: null, deviceCheck: deviceCheck ?? null, sentBack: false,
          inMedia: false, graceTimer: null, resumeHash: null
        }
        if (p.state === 'admitted') p.admittedAt = new Date()
        await audit({ action: 'visit.join', outcome: 'success', ...actorOf(p), details: { participantId: p.id, state: p.state } })
        if (role === 'patient') await markArrived(deps.db, appointmentId)
        participants.set(p.id, p)
        byIdentity.set(identityKey(identity), p)
        let res: JoinResult
        try {
          res = await result(p)
        } catch (err) {
          // No reply, no place: a half-joined participant would never leave.
          participants.delete(p.id)
          byIdentity.delete(identityKey(identity))
          deps.resume.forget(p)
          if (participants.size === 0) await dispose()
          throw err
        }
        if (p.state === 'admitted') {
          toAdmitted({ event: 'participantJoined', data: { participant: infoOf(p) } }, p)
          if (isHost(p)) send(p, { event: 'queue', data: { entries: waiting().map(queueEntryOf) } })
        } else {
          pushQueue()
        }
        return { p, result: res }
      })
    },

    /** A dropped participant is back on a new socket within the grace period. */
    resume (p: Participant, sink: SignalSink): Promise<JoinResult> {
      return visit.run(async () => {
        if (ended || participants.get(p.id) !== p) throw visitEnded()
        attach(p, sink)
        // Its old transports died with the network path: start media afresh (ICE restart).
        await closeMedia(p)
        if (p.state === 'admitted') toAdmitted({ event: 'participantReconnected', data: { participantId: p.id } }, p)
        else pushQueue()
        await audit({ action: 'visit.resume', outcome: 'success', ...actorOf(p), details: { participantId: p.id } })
        return result(p)
      })
    },

    /** The socket closed without `leave`: keep the place for the grace period. */
    disconnect (p: Participant, sink: SignalSink): void {
      if (p.sink !== sink || participants.get(p.id) !== p) return
      p.sink = null
      const graceMs = deps.settings.resumeGraceMs
      p.graceTimer = setTimeout(() => {
        p.graceTimer = null
        visit.run(() => remove(p, 'timedOut')).catch((err) => deps.log.error({ err }, 'grace expiry failed'))
      }, graceMs)
      if (p.state === 'admitted') toAdmitted({ event: 'participantDisconnected', data: { participantId: p.id, graceMs } }, p)
      else pushQueue()
    },

    leave (p: Participant): Promise<void> { return visit.run(() => remove(p, 'left')) },

    /**
     * The engine lost the room (media node gone): nobody is in media any more. Opens the room again
     * (on a live node) and tells every admitted participant to rebuild, as after a resume.
     */
    restartMedia (): Promise<void> {
      return visit.run(async () => {
        if (ended || disposed) return
        for (const p of participants.values()) p.inMedia = false
        const capabilities = await (await deps.engine()).createRoom(id)
        toAdmitted({ event: 'mediaRestart', data: { capabilities } })
      })
    },

    updateDeviceCheck (p: Participant, check: DeviceCheck): void {
      p.deviceCheck = check
      if (p.state === 'waiting') pushQueue()
    },

    ...hostActions(core),

    /** Server shutdown: sockets close with 1001 and the participants are dropped (they resume elsewhere). */
    shutdown (): Promise<void> { return closeAll(null, CloseCodes.goingAway, 'server shutting down') }
  }

  const closeAll = async (m: ServerMessage | null, code: number, reason: string, keepOpen?: Participant) => {
    for (const p of participants.values()) {
      if (p.graceTimer) { clearTimeout(p.graceTimer); p.graceTimer = null }
      deps.resume.forget(p)
      if (m) p.sink?.send(m)
      if (p !== keepOpen) p.sink?.close(code, reason)
      p.sink = null
    }
    participants.clear()
    byIdentity.clear()
    await dispose()
  }

  return visit
}

export type Visit = ReturnType<typeof createVisit>
