import type { Queryable } from '../core/db/db.js'

export const APPOINTMENT_STATUSES = ['proposed', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow'] as const
export type AppointmentStatus = typeof APPOINTMENT_STATUSES[number]
/** Statuses that hold time (the exclusion constraints' predicate). */
export const ACTIVE_STATUSES: readonly AppointmentStatus[] = ['proposed', 'booked', 'arrived', 'fulfilled']

export interface AppointmentRow {
  id: string; patientId: string; providerId: string; visitTypeId: string; status: AppointmentStatus
  startsAt: Date; endsAt: Date; reasonSealed: Buffer | null; bookedBy: string; requestHash: Buffer | null
  checkedInAt: Date | null; cancelledAt: Date | null; version: number; createdAt: Date; updatedAt: Date
}

const COLS = `id, patient_id AS "patientId", provider_id AS "providerId", visit_type_id AS "visitTypeId", status,
  starts_at AS "startsAt", ends_at AS "endsAt", reason_sealed AS "reasonSealed", booked_by AS "bookedBy",
  request_hash AS "requestHash", checked_in_at AS "checkedInAt", cancelled_at AS "cancelledAt", version,
  created_at AS "createdAt", updated_at AS "updatedAt"`

export interface NewAppointment {
  id: string; patientId: string; providerId: string; visitTypeId: string; status: 'proposed' | 'booked'
  startsAt: Date; endsAt: Date; busyFrom: Date; busyUntil: Date; reasonSealed: Buffer | null
  bookedBy: string; idempotencyKey: string | null; requestHash: Buffer | null
}

export interface AppointmentFilter {
  patientId?: string; providerId?: string; from?: Date; to?: Date; statuses?: readonly string[]; limit: number; before?: Date
}

export function appointmentStore (q: Queryable) {
  return {
    async insert (a: NewAppointment): Promise<AppointmentRow> {
      const { rows } = await q.query<AppointmentRow>(
        `INSERT INTO appointments (id, patient_id, provider_id, visit_type_id, status, starts_at, ends_at, busy_from, busy_until,
           reason_sealed, booked_by, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLS}`,
        [a.id, a.patientId, a.providerId, a.visitTypeId, a.status, a.startsAt, a.endsAt, a.busyFrom, a.busyUntil,
          a.reasonSealed, a.bookedBy, a.idempotencyKey, a.requestHash])
      return rows[0]
    },
    async get (id: string, forUpdate = false): Promise<AppointmentRow | null> {
      const { rows } = await q.query<AppointmentRow>(`SELECT ${COLS} FROM appointments WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id])
      return rows[0] ?? null
    },
    async byIdempotencyKey (bookedBy: string, key: string): Promise<AppointmentRow | null> {
      const { rows } = await q.query<AppointmentRow>(
        `SELECT ${COLS} FROM appointments WHERE booked_by = $1 AND idempotency_key = $2`, [bookedBy, key])
      return rows[0] ?? null
    },
    async list (f: AppointmentFilter): Promise<AppointmentRow[]> {
      const { rows } = await q.query<AppointmentRow>(
        `SELECT ${COLS} FROM appointments
          WHERE ($1::uuid IS NULL OR patient_id = $1) AND ($2::uuid IS NULL OR provider_id = $2)
            AND ($3::timestamptz IS NULL OR ends_at > $3) AND ($4::timestamptz IS NULL OR starts_at < $4)
            AND ($5::text[] IS NULL OR status = ANY($5)) AND ($6::timestamptz IS NULL OR starts_at > $6)
          ORDER BY starts_at, id LIMIT $7`,
        [f.patientId ?? null, f.providerId ?? null, f.from ?? null, f.to ?? null, f.statuses ?? null, f.before ?? null, f.limit])
      return rows
    },
    async move (id: string, t: { startsAt: Date; endsAt: Date; busyFrom: Date; busyUntil: Date; visitTypeId: string }): Promise<AppointmentRow> {
      const { rows } = await q.query<AppointmentRow>(
        `UPDATE appointments SET starts_at = $2, ends_at = $3, busy_from = $4, busy_until = $5, visit_type_id = $6,
           status = CASE WHEN status = 'arrived' THEN 'booked' ELSE status END, checked_in_at = NULL, version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING ${COLS}`, [id, t.startsAt, t.endsAt, t.busyFrom, t.busyUntil, t.visitTypeId])
      return rows[0]
    },
    async cancel (id: string, by: string, reasonSealed: Buffer | null): Promise<AppointmentRow> {
      const { rows } = await q.query<AppointmentRow>(
        `UPDATE appointments SET status = 'cancelled', cancelled_by = $2, cancelled_at = now(), cancel_reason_sealed = $3,
           version = version + 1, updated_at = now() WHERE id = $1 RETURNING ${COLS}`, [id, by, reasonSealed])
      return rows[0]
    },
    async setStatus (id: string, status: AppointmentStatus, checkIn = false): Promise<AppointmentRow> {
      const { rows } = await q.query<AppointmentRow>(
        `UPDATE appointments SET status = $2, checked_in_at = CASE WHEN $3 THEN now() ELSE checked_in_at END,
           version = version + 1, updated_at = now() WHERE id = $1 RETURNING ${COLS}`, [id, status, checkIn])
      return rows[0]
    },
    /** Who is waiting: checked in (here or by the visit's own join), not yet seen. */
    async waiting (providerId: string | null): Promise<AppointmentRow[]> {
      const { rows } = await q.query<AppointmentRow>(
        `SELECT ${COLS} FROM appointments WHERE status = 'arrived' AND ($1::uuid IS NULL OR provider_id = $1)
          ORDER BY coalesce(checked_in_at, updated_at), starts_at LIMIT 500`, [providerId])
      return rows
    }
  }
}

export type AppointmentStore = ReturnType<typeof appointmentStore>
