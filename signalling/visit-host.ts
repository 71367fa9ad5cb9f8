import { appendAudit, type AuditEntry } from '../core/audit/audit-log.js'
import type { Db } from '../core/db/db.js'
import { markFulfilled } from './appointments.js'
import { conflict } from './errors.js'
import { actorOf, infoOf, isHost, type Participant } from './participant.js'
import { CloseCodes, type ServerMessage, type VisitSnapshot } from './protocol.js'
import { markEnded, markInProgress } from './visits-repo.js'

export type LeaveReason = 'left' | 'timedOut' | 'removed'

/** What the host actions need from their visit (see visit.ts). */
export interface HostCore {
  db: Db
  id: string
  appointmentId: string
  run<T> (fn: () => Promise<T>): Promise<T>
  target (participantId: string): Participant
  size (): number
  audit (e: Omit<AuditEntry, 'targetType' | 'targetId'>): Promise<void>
  snapshot (p: Participant): Promise<VisitSnapshot>
  send (p: Participant, m: ServerMessage): void
  toAdmitted (m: ServerMessage, except?: Participant): void
  pushQueue (): void
  chat: { mark (): number }
  closeMedia (p: Participant): Promise<void>
  remove (p: Participant, reason: LeaveReason, actor?: Participant): Promise<void>
  closeAll (m: ServerMessage | null, code: number, reason: string, keepOpen?: Participant): Promise<void>
  /** false when the visit had already ended. */
  markEnded (): boolean
}

/** What a provider or staff member does to others in the visit. Callers have checked the host role. */
export function hostActions (v: HostCore) {
  return {
    admit (host: Participant, targetId: string): Promise<void> {
      return v.run(async () => {
        const p = v.target(targetId)
        if (p.state !== 'waiting') throw conflict('That participant is not waiting')
        p.state = 'admitted'
        p.sentBack = false
        p.admittedAt = new Date()
        p.chatFrom = v.chat.mark()
        await v.audit({ action: 'visit.admit', outcome: 'success', ...actorOf(host), details: { participantId: p.id, role: p.role } })
        if (p.role === 'patient') await markInProgress(v.db, v.id)
        if (p.sink) v.send(p, { event: 'admitted', data: { visit: await v.snapshot(p) } })
        v.toAdmitted({ event: 'participantJoined', data: { participant: infoOf(p) } }, p)
        v.pushQueue()
      })
    },

    decline (host: Participant, targetId: string): Promise<void> {
      return v.run(async () => {
        const p = v.target(targetId)
        if (p.state !== 'waiting') throw conflict('Only a waiting participant can be declined')
        const sink = p.sink
        await v.audit({ action: 'visit.decline', outcome: 'success', ...actorOf(host), details: { participantId: p.id, role: p.role } })
        sink?.send({ event: 'declined', data: {} })
        await v.remove(p, 'removed', host)
        sink?.close(CloseCodes.declined, 'declined by the provider')
      })
    },

    sendToWaiting (host: Participant, targetId: string): Promise<void> {
      return v.run(async () => {
        const p = v.target(targetId)
        if (p.state !== 'admitted') throw conflict('That participant is not in the visit')
        if (isHost(p)) throw conflict('A provider or staff member cannot be sent to the waiting room')
        p.state = 'waiting'
        p.sentBack = true
        p.waitingSince = new Date()
        await v.closeMedia(p)
        await v.audit({ action: 'visit.send_back', outcome: 'success', ...actorOf(host), details: { participantId: p.id, role: p.role } })
        v.send(p, { event: 'waiting', data: { reason: 'sentBack' } })
        v.toAdmitted({ event: 'participantLeft', data: { participantId: p.id, reason: 'sentToWaiting' } })
        v.pushQueue()
      })
    },

    /** Ends the visit for everyone and closes the appointment as fulfilled. */
    end (host: Participant): Promise<void> {
      return v.run(async () => {
        if (!v.markEnded()) return
        const by = actorOf(host)
        await v.db.transaction(async (tx) => {
          await markEnded(tx, v.id, by.actorId)
          await markFulfilled(tx, v.appointmentId)
          await appendAudit(tx, {
            action: 'visit.end', outcome: 'success', ...by, targetType: 'appointment', targetId: v.appointmentId,
            details: { visitId: v.id, participants: v.size() }
          })
        })
        // The host's own socket closes after its reply (see connection.ts).
        await v.closeAll({ event: 'visitEnded', data: { endedAt: new Date().toISOString() } }, CloseCodes.visitEnded, 'visit ended', host)
      })
    }
  }
}
