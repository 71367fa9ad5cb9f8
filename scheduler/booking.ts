import { createHash, randomUUID } from 'node:crypto'
import { appendAudit } from '../core/audit/audit-log.js'
import type { Queryable } from '../core/db/db.js'
import { Conflict, Forbidden, NotFound, Unprocessable } from '../core/errors.js'
import { appointmentStore, type AppointmentRow } from './appointment-store.js'
import { assertWithinAvailability, PATIENT_TAKEN, PROVIDER_TAKEN } from './availability.js'
import { apptField, auditFrom, type ActionContext, type SchedulerDeps } from './context.js'
import { cancelReminders, enqueueReminders } from './reminders.js'
import { busyRange } from './slots.js'

export interface BookInput {
  patientId: string; providerId: string; visitTypeId: string; startsAt: number
  reason?: string; status: 'proposed' | 'booked'; idempotencyKey?: string
}

/** Turns the exclusion constraints' verdict into a 409 a person can act on. */
export function conflictFrom (err: unknown): never {
  const e = err as { code?: string; constraint?: string }
  if (e.code === '23P01') {
    throw new Conflict(e.constraint === 'appointments_patient_no_overlap' ? PATIENT_TAKEN : PROVIDER_TAKEN)
  }
  if (e.code === '40P01') throw new Conflict('This time was just taken by another booking; please pick another slot')
  throw err
}

/**
 * Queues writers of one provider's or one patient's calendar behind each
 * other, always provider first, then patient. Without it, two overlapping
 * inserts each wait for the other's exclusion check (a deadlock PostgreSQL
 * breaks only after deadlock_timeout, 1 s); with it, the later writer simply
 * meets the earlier one's committed row. Correctness still rests on the
 * exclusion constraints; this only keeps contention cheap.
 */
async function lockCalendars (tx: Queryable, providerId: string, patientId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(3001, hashtext($1)), pg_advisory_xact_lock(3002, hashtext($2))', [providerId, patientId])
}

/**
 * Runs a booking transaction, again if PostgreSQL broke a deadlock by aborting
 * it. Two uncommitted visits that overlap each other on different constraints
 * (same provider for one, same patient for the other) wait on each other; the
 * retry then meets the survivor's committed row and gets its precise 409.
 */
export async function withDeadlockRetry<T> (fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || i >= attempts) throw err
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * i))
    }
  }
}

const requestHash = (i: BookInput) => createHash('sha256')
  .update(JSON.stringify([i.patientId, i.providerId, i.visitTypeId, i.startsAt, i.reason ?? null, i.status])).digest()

function replayOf (existing: AppointmentRow, i: BookInput): AppointmentRow {
  if (!existing.requestHash || !existing.requestHash.equals(requestHash(i))) {
    throw new Unprocessable('This Idempotency-Key was already used for a different booking')
  }
  return existing
}

/**
 * Books a visit. The insert, its audit entry and its reminders share one
 * transaction; an overlap makes the database refuse the insert, so a 409
 * leaves nothing behind. A retry with the same Idempotency-Key returns the
 * first booking instead of a conflict with itself.
 */
export async function book (d: SchedulerDeps, c: ActionContext, i: BookInput): Promise<{ appointment: AppointmentRow; replayed: boolean }> {
  if (c.actor.role === 'patient' && (i.patientId !== c.actor.id || i.status !== 'booked')) throw new Forbidden()
  if (c.actor.role === 'provider' && i.providerId !== c.actor.id) throw new Forbidden()
  const key = i.idempotencyKey ?? null
  if (key) {
    const existing = await appointmentStore(d.db).byIdempotencyKey(c.actor.id, key)
    if (existing) return { appointment: replayOf(existing, i), replayed: true }
  }
  const now = d.now()
  const [verified, { calendar, visitType }] = await Promise.all([
    d.isProviderVerified(i.providerId),
    assertWithinAvailability(d.db, i.providerId, i.visitTypeId, i.startsAt, now, i.patientId)
  ])
  if (!verified) throw new Unprocessable('This provider cannot be booked')
  const busy = busyRange(visitType, i.startsAt)
  const id = randomUUID()
  try {
    const appointment = await withDeadlockRetry(() => d.db.transaction(async (tx) => {
      await lockCalendars(tx, i.providerId, i.patientId)
      const row = await appointmentStore(tx).insert({
        id, patientId: i.patientId, providerId: i.providerId, visitTypeId: i.visitTypeId, status: i.status,
        startsAt: new Date(i.startsAt), endsAt: new Date(busy.visitEnd), busyFrom: new Date(busy.start), busyUntil: new Date(busy.end),
        reasonSealed: i.reason ? await d.vault.seal(i.patientId, i.reason, apptField(id, 'reason'), tx) : null,
        bookedBy: c.actor.id, idempotencyKey: key, requestHash: key ? requestHash(i) : null
      })
      await appendAudit(tx, auditFrom(c, {
        action: 'appointment.book', outcome: 'success', targetType: 'appointment', targetId: id,
        details: { status: row.status, patientId: i.patientId, providerId: i.providerId, visitTypeId: i.visitTypeId, onBehalf: c.actor.id !== i.patientId }
      }))
      if (row.status === 'booked') {
        await enqueueReminders(tx, d.phi, {
          appointmentId: id, patientId: i.patientId, startsAt: row.startsAt, timeZone: calendar.timeZone,
          offsetsMinutes: d.settings.reminderOffsets, publicUrl: d.publicUrl, now
        })
      }
      return row
    }))
    return { appointment, replayed: false }
  } catch (err) {
    // A concurrent retry with the same key won the insert: answer as it did.
    if (key && (err as { code?: string; constraint?: string }).code === '23505') {
      const existing = await appointmentStore(d.db).byIdempotencyKey(c.actor.id, key)
      if (existing) return { appointment: replayOf(existing, i), replayed: true }
    }
    return conflictFrom(err)
  }
}

/** Loads an appointment the actor may act on, or 404 (never revealing that someone else's exists). */
export function visibleTo (c: ActionContext, a: AppointmentRow | null): AppointmentRow {
  const r = c.actor.role
  if (a && ((r === 'patient' && a.patientId === c.actor.id) || (r === 'provider' && a.providerId === c.actor.id) || r === 'staff')) return a
  throw new NotFound('Appointment')
}

/** Patients change their own visits until the cut-off; providers and staff any time, with a reason. */
function assertMayChange (d: SchedulerDeps, c: ActionContext, a: AppointmentRow, reason: string | undefined, verb: string): void {
  if (c.actor.role === 'patient') {
    const cutoff = a.startsAt.getTime() - d.settings.patientCancelCutoff * 60_000
    if (d.now() > cutoff) {
      throw new Unprocessable(`Visits can be ${verb} online until ${d.settings.patientCancelCutoff} minutes before the start; please contact the clinic`)
    }
  } else if (!reason) {
    throw new Unprocessable(`A reason is required when a provider or staff member ${verb === 'cancelled' ? 'cancels' : 'reschedules'} a visit`)
  }
  if (!['proposed', 'booked', 'arrived'].includes(a.status)) throw new Conflict(`The visit is ${a.status} and can no longer be ${verb}`)
}

export async function cancel (d: SchedulerDeps, c: ActionContext, id: string, reason?: string): Promise<AppointmentRow> {
  const row = await d.db.transaction(async (tx) => {
    const store = appointmentStore(tx)
    const a = visibleTo(c, await store.get(id, true))
    assertMayChange(d, c, a, reason, 'cancelled')
    const updated = await store.cancel(id, c.actor.id, reason ? await d.vault.seal(a.patientId, reason, apptField(id, 'cancel_reason'), tx) : null)
    const withdrawn = await cancelReminders(tx, id)
    await appendAudit(tx, auditFrom(c, {
      action: 'appointment.cancel', outcome: 'success', targetType: 'appointment', targetId: id,
      details: { previousStatus: a.status, version: updated.version, reasonGiven: Boolean(reason), remindersWithdrawn: withdrawn }
    }))
    return updated
  })
  return row
}

export async function reschedule (d: SchedulerDeps, c: ActionContext, id: string, to: { startsAt: number; visitTypeId?: string; reason?: string }): Promise<AppointmentRow> {
  const current = visibleTo(c, await appointmentStore(d.db).get(id))
  assertMayChange(d, c, current, to.reason, 'rescheduled')
  const now = d.now()
  const visitTypeId = to.visitTypeId ?? current.visitTypeId
  const { calendar, visitType } = await assertWithinAvailability(d.db, current.providerId, visitTypeId, to.startsAt, now, current.patientId, current.id)
  const busy = busyRange(visitType, to.startsAt)
  try {
    const row = await withDeadlockRetry(() => d.db.transaction(async (tx) => {
      const store = appointmentStore(tx)
      const a = visibleTo(c, await store.get(id, true))
      // Re-checked under the row lock: a concurrent cancel must win cleanly.
      assertMayChange(d, c, a, to.reason, 'rescheduled')
      await lockCalendars(tx, a.providerId, a.patientId)
      const moved = await store.move(id, {
        startsAt: new Date(to.startsAt), endsAt: new Date(busy.visitEnd), busyFrom: new Date(busy.start), busyUntil: new Date(busy.end), visitTypeId
      })
      await cancelReminders(tx, id)
      if (moved.status === 'booked') {
        await enqueueReminders(tx, d.phi, {
          appointmentId: id, patientId: a.patientId, startsAt: moved.startsAt, timeZone: calendar.timeZone,
          offsetsMinutes: d.settings.reminderOffsets, publicUrl: d.publicUrl, now
        })
      }
      await appendAudit(tx, auditFrom(c, {
        action: 'appointment.reschedule', outcome: 'success', targetType: 'appointment', targetId: id,
        details: { previousStatus: a.status, version: moved.version, visitTypeChanged: visitTypeId !== a.visitTypeId, reasonGiven: Boolean(to.reason) }
      }))
      return moved
    }))
    return row
  } catch (err) {
    return conflictFrom(err)
  }
}
