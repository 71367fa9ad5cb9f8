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
}

export async function findAppointment (q: Queryable, id: string): Promise<AppointmentRef | null> {
  const { rows } = await q.query<{ id: string; patient_id: string; provider_id: string; status: string; starts_at: Date; ends_at: Date }>(
    'SELECT id, patient_id, provider_id, status, starts_at, ends_at FROM appointments WHERE id = $1', [id])
  const r = rows[0]
  if (!r) return null
  return { id: r.id, patientId: r.patient_id, providerId: r.provider_id, status: r.status, startsAt: new Date(r.starts_at), endsAt: new Date(r.ends_at) }
}

/** Statuses a visit may be joined in. */
export const JOINABLE = new Set(['booked', 'arrived'])

/** The patient is here: booked → arrived. A no-op for any other status. */
export async function markArrived (q: Queryable, id: string): Promise<boolean> {
  const r = await q.query(
    `UPDATE appointments SET status = 'arrived', updated_at = now(), version = version + 1
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
