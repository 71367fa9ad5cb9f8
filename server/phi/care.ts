import type { Queryable } from '../../core/db/db.js'
import type { Role } from '../../core/roles.js'

/**
 * Who has a care relationship with a patient: a provider with an appointment
 * with them, past or upcoming, or a staff member who booked one. A cancelled
 * appointment does not count: minimum necessary. Written against the
 * scheduler's `appointments` table (core/db/migrations/0300_scheduling.sql).
 */
export async function hasCareRelationship (q: Queryable, actor: { id: string; role: Role }, patientId: string): Promise<boolean> {
  if (actor.role !== 'provider' && actor.role !== 'staff') return false
  const column = actor.role === 'provider' ? 'provider_id' : 'booked_by'
  const { rows } = await q.query(
    `SELECT 1 FROM appointments WHERE patient_id = $1 AND ${column} = $2 AND status <> 'cancelled' LIMIT 1`,
    [patientId, actor.id])
  return rows.length > 0
}

/** Of these patients, the ones the actor may see (search results are filtered by this). */
export async function patientsInCare (q: Queryable, actor: { id: string; role: Role }, patientIds: string[]): Promise<Set<string>> {
  if (patientIds.length === 0 || (actor.role !== 'provider' && actor.role !== 'staff')) return new Set()
  const column = actor.role === 'provider' ? 'provider_id' : 'booked_by'
  const { rows } = await q.query<{ patient_id: string }>(
    `SELECT DISTINCT patient_id FROM appointments WHERE patient_id = ANY($1::uuid[]) AND ${column} = $2 AND status <> 'cancelled'`,
    [patientIds, actor.id])
  return new Set(rows.map((r) => r.patient_id))
}

export interface AppointmentRow { id: string; provider_id: string; status: string; starts_at: Date; ends_at: Date }

/** A patient's appointments for their own export. */
export async function appointmentsOf (q: Queryable, patientId: string): Promise<AppointmentRow[]> {
  const { rows } = await q.query<AppointmentRow>(
    'SELECT id, provider_id, status, starts_at, ends_at FROM appointments WHERE patient_id = $1 ORDER BY starts_at', [patientId])
  return rows
}

/** The end of the patient's latest non-cancelled appointment (retention runs from it), or null. */
export async function lastCareAt (q: Queryable, patientId: string): Promise<Date | null> {
  const { rows } = await q.query<{ last: Date | null }>(
    `SELECT max(ends_at) AS last FROM appointments WHERE patient_id = $1 AND status <> 'cancelled'`, [patientId])
  return rows[0]?.last ?? null
}
