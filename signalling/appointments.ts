import type { Queryable } from '../core/db/db.js'

/**
 * Adapter over scheduling's `appointments` table: the few reads and status
 * moves a visit needs. FHIR statuses only; "in progress" lives in visits.state.
 */
export interface AppointmentRef {
  id: string
  patientId: string
  providerId: string
  status: string
  startsAt: Date
  endsAt: Date
  /** Our own visits.state, null before the first join. */
  visitState: 'waiting' | 'in_progress' | 'ended' | null
}

export async function findAppointment (q: Queryable, id: string): Promise<AppointmentRef | null> {
  const { rows } = await q.query<{ id: string; patient_id: string; provider_id: string; status: string; starts_at: Date; ends_at: Date; visit_state: AppointmentRef['visitState'] }>(
    `SELECT a.id, a.patient_id, a.provider_id, a.status, a.starts_at, a.ends_at, v.state AS visit_state
       FROM appointments a LEFT JOIN visits v ON v.appointment_id = a.id WHERE a.id = $1`, [id])
  const r = rows[0]
  if (!r) return null
  return {
    id: r.id, patientId: r.patient_id, providerId: r.provider_id, status: r.status,
    startsAt: new Date(r.starts_at), endsAt: new Date(r.ends_at), visitState: r.visit_state
  }
}

/** Statuses a visit may be joined in. */
export const JOINABLE = new Set(['booked', 'arrived'])

/** Open for a visit at all: not cancelled, no-show, fulfilled, nor ended here. */
export const isOpenForVisit = (a: AppointmentRef): boolean => JOINABLE.has(a.status) && a.visitState !== 'ended'

/** The patient is here: booked → arrived, as scheduling's own check-in does. A no-op for any other status. */
export async function markArrived (q: Queryable, id: string): Promise<boolean> {
  const r = await q.query(
    `UPDATE appointments SET status = 'arrived', checked_in_at = coalesce(checked_in_at, now()), updated_at = now(), version = version + 1
      WHERE id = $1 AND status = 'booked'`, [id])
  return r.rowCount > 0
}

/** The provider ended the visit: booked/arrived → fulfilled. */
export async function markFulfilled (q: Queryable, id: string): Promise<boolean> {
  const r = await q.query(
    `UPDATE appointments SET status = 'fulfilled', updated_at = now(), version = version + 1
      WHERE id = $1 AND status IN ('booked', 'arrived')`, [id])
  return r.rowCount > 0
}
