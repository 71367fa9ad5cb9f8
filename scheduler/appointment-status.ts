import { appendAudit } from '../core/audit/audit-log.js'
import { Conflict, Forbidden, Unprocessable } from '../core/errors.js'
import { appointmentStore, type AppointmentRow, type AppointmentStatus } from './appointment-store.js'
import { calendarStore } from './calendar-store.js'
import { visibleTo } from './booking.js'
import { isErasure } from '../core/crypto/vault.js'
import { apptField, auditFrom, type ActionContext, type SchedulerDeps } from './context.js'
import { enqueueReminders } from './reminders.js'

/** Allowed moves of the FHIR status, by who may make them. Cancel and check-in have their own routes. */
const TRANSITIONS: Record<string, { from: readonly AppointmentStatus[]; roles: readonly string[]; afterStart?: boolean }> = {
  booked: { from: ['proposed'], roles: ['patient', 'provider', 'staff'] },
  fulfilled: { from: ['arrived', 'booked'], roles: ['provider', 'staff'], afterStart: true },
  noshow: { from: ['booked'], roles: ['provider', 'staff'], afterStart: true }
}

export async function setStatus (d: SchedulerDeps, c: ActionContext, id: string, status: 'booked' | 'fulfilled' | 'noshow'): Promise<AppointmentRow> {
  const t = TRANSITIONS[status]
  return d.db.transaction(async (tx) => {
    const store = appointmentStore(tx)
    const a = visibleTo(c, await store.get(id, true))
    if (!t.roles.includes(c.actor.role)) throw new Forbidden()
    if (a.status === status) return a
    if (!t.from.includes(a.status)) throw new Conflict(`A ${a.status} visit cannot become ${status}`)
    if (t.afterStart && d.now() < a.startsAt.getTime()) throw new Unprocessable(`A visit can be marked ${status} only after it starts`)
    const updated = await store.setStatus(id, status)
    if (status === 'booked') {
      const cal = await calendarStore(tx).calendar(a.providerId)
      await enqueueReminders(tx, d.phi, {
        appointmentId: id, patientId: a.patientId, startsAt: a.startsAt, timeZone: cal?.timeZone ?? 'UTC',
        offsetsMinutes: d.settings.reminderOffsets, publicUrl: d.publicUrl, now: d.now()
      })
    }
    await appendAudit(tx, auditFrom(c, {
      action: 'appointment.status', outcome: 'success', targetType: 'appointment', targetId: id,
      details: { previousStatus: a.status, status, version: updated.version }
    }))
    return updated
  })
}

/**
 * The patient (or staff, or their provider, for them) checks in: from
 * checkInOpens minutes before the start until the end. 'arrived' is what the
 * waiting room lists.
 */
export async function checkIn (d: SchedulerDeps, c: ActionContext, id: string): Promise<AppointmentRow> {
  return d.db.transaction(async (tx) => {
    const store = appointmentStore(tx)
    const a = visibleTo(c, await store.get(id, true))
    if (a.status === 'arrived') return a
    if (a.status !== 'booked') throw new Conflict(`A ${a.status} visit cannot be checked in`)
    const now = d.now()
    if (now < a.startsAt.getTime() - d.settings.checkInOpens * 60_000) {
      throw new Unprocessable(`Check-in opens ${d.settings.checkInOpens} minutes before the visit`)
    }
    if (now >= a.endsAt.getTime()) throw new Unprocessable('This visit has ended')
    const updated = await store.setStatus(id, 'arrived', true)
    await appendAudit(tx, auditFrom(c, {
      action: 'appointment.check-in', outcome: 'success', targetType: 'appointment', targetId: id,
      details: { previousStatus: a.status, version: updated.version, onBehalf: c.actor.id !== a.patientId }
    }))
    return updated
  })
}

export interface AppointmentView {
  id: string; patientId: string; providerId: string; visitTypeId: string; status: AppointmentStatus
  startsAt: string; endsAt: string; checkedInAt: string | null; version: number; reason?: string
}

/** What every appointment answer holds; the reason only comes from readReason(). */
export function toView (a: AppointmentRow): AppointmentView {
  return {
    id: a.id, patientId: a.patientId, providerId: a.providerId, visitTypeId: a.visitTypeId, status: a.status,
    startsAt: a.startsAt.toISOString(), endsAt: a.endsAt.toISOString(), checkedInAt: a.checkedInAt?.toISOString() ?? null, version: a.version
  }
}

/**
 * The reason is PHI: opened only for the patient and their provider; staff
 * book and move visits without reading it (minimum necessary). Undefined when
 * there is none or the patient was erased (their key is gone). A provider
 * whose verification was revoked keeps the appointment but not its reason,
 * as patient records close to them (server/phi/access.ts).
 */
export async function readReason (d: Pick<SchedulerDeps, 'vault' | 'isProviderVerified'>, c: ActionContext, a: AppointmentRow): Promise<string | undefined> {
  const mayRead = (c.actor.role === 'patient' && a.patientId === c.actor.id) || (c.actor.role === 'provider' && a.providerId === c.actor.id)
  if (!mayRead || !a.reasonSealed) return undefined
  if (c.actor.role === 'provider' && !(await d.isProviderVerified(c.actor.id))) return undefined
  try {
    return await d.vault.open(a.reasonSealed, apptField(a.id, 'reason'))
  } catch (err) {
    if (isErasure(err)) return undefined
    throw err
  }
}
