import type { Queryable } from '../core/db/db.js'

export type VisitState = 'waiting' | 'in_progress' | 'ended'

/** The visits table: one row per appointment that was ever joined. */
export async function openVisitRow (q: Queryable, appointmentId: string): Promise<{ id: string; state: VisitState }> {
  const { rows } = await q.query<{ id: string; state: VisitState }>(
    `INSERT INTO visits (appointment_id) VALUES ($1)
     ON CONFLICT (appointment_id) DO UPDATE SET appointment_id = EXCLUDED.appointment_id
     RETURNING id, state`, [appointmentId])
  return rows[0]
}

export async function markInProgress (q: Queryable, visitId: string): Promise<void> {
  await q.query(`UPDATE visits SET state = 'in_progress', started_at = coalesce(started_at, now()) WHERE id = $1 AND state = 'waiting'`, [visitId])
}

export async function markEnded (q: Queryable, visitId: string, by: string | null): Promise<void> {
  await q.query(`UPDATE visits SET state = 'ended', ended_at = now(), ended_by = $2 WHERE id = $1 AND state <> 'ended'`, [visitId, by])
}
