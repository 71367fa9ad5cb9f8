import type { Queryable } from '../core/db/db.js'

export type VisitState = 'waiting' | 'in_progress' | 'ended'

/** The visits table: one row per appointment that was ever joined. With the appointment's patient (whose key seals the chat). */
export async function openVisitRow (q: Queryable, appointmentId: string): Promise<{ id: string; state: VisitState; patientId: string }> {
  const { rows } = await q.query<{ id: string; state: VisitState; patient_id: string }>(
    `WITH v AS (
       INSERT INTO visits (appointment_id) VALUES ($1)
       ON CONFLICT (appointment_id) DO UPDATE SET appointment_id = EXCLUDED.appointment_id
       RETURNING id, state, appointment_id)
     SELECT v.id, v.state, a.patient_id FROM v JOIN appointments a ON a.id = v.appointment_id`, [appointmentId])
  return { id: rows[0].id, state: rows[0].state, patientId: rows[0].patient_id }
}

export async function markInProgress (q: Queryable, visitId: string): Promise<void> {
  await q.query(`UPDATE visits SET state = 'in_progress', started_at = coalesce(started_at, now()) WHERE id = $1 AND state = 'waiting'`, [visitId])
}

export async function markEnded (q: Queryable, visitId: string, by: string | null): Promise<void> {
  await q.query(`UPDATE visits SET state = 'ended', ended_at = now(), ended_by = $2 WHERE id = $1 AND state <> 'ended'`, [visitId, by])
}
