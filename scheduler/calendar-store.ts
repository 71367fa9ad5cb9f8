import type { Queryable } from '../core/db/db.js'
import type { Interval, WeeklyRule } from './slots.js'

export interface Calendar {
  providerId: string; timeZone: string; specialty: string | null; minNoticeMinutes: number; maxAdvanceDays: number
}
export interface VisitType {
  id: string; providerId: string; code: string; name: string; durationMinutes: number
  bufferBeforeMinutes: number; bufferAfterMinutes: number; active: boolean
}
export interface Rule extends WeeklyRule { id: string }
export interface ScheduleException { id: string; kind: 'leave' | 'holiday' | 'other'; startsAt: Date; endsAt: Date }

const CALENDAR_COLS = `provider_id AS "providerId", time_zone AS "timeZone", specialty,
  min_notice_minutes AS "minNoticeMinutes", max_advance_days AS "maxAdvanceDays"`
const VISIT_TYPE_COLS = `id, provider_id AS "providerId", code, name, duration_minutes AS "durationMinutes",
  buffer_before_minutes AS "bufferBeforeMinutes", buffer_after_minutes AS "bufferAfterMinutes", active`
const RULE_COLS = `id, weekday, to_char(start_time, 'HH24:MI') AS "startTime", to_char(end_time, 'HH24:MI') AS "endTime",
  valid_from::text AS "validFrom", valid_until::text AS "validUntil", visit_type_id AS "visitTypeId"`

/** Plain queries over the calendar tables; callers pass a transaction when they write. */
export function calendarStore (q: Queryable) {
  return {
    async calendar (providerId: string): Promise<Calendar | null> {
      const { rows } = await q.query<Calendar>(`SELECT ${CALENDAR_COLS} FROM provider_calendars WHERE provider_id = $1`, [providerId])
      return rows[0] ?? null
    },
    async findCalendars (f: { providerId?: string; specialty?: string; limit: number }): Promise<Calendar[]> {
      const { rows } = await q.query<Calendar>(
        `SELECT ${CALENDAR_COLS} FROM provider_calendars
          WHERE ($1::uuid IS NULL OR provider_id = $1) AND ($2::text IS NULL OR lower(specialty) = lower($2))
          ORDER BY provider_id LIMIT $3`, [f.providerId ?? null, f.specialty ?? null, f.limit])
      return rows
    },
    async upsertCalendar (c: Calendar): Promise<void> {
      await q.query(
        `INSERT INTO provider_calendars (provider_id, time_zone, specialty, min_notice_minutes, max_advance_days)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (provider_id) DO UPDATE SET time_zone = $2, specialty = $3, min_notice_minutes = $4,
           max_advance_days = $5, updated_at = now()`,
        [c.providerId, c.timeZone, c.specialty, c.minNoticeMinutes, c.maxAdvanceDays])
    },
    async visitTypes (providerIds: string[], f: { code?: string; id?: string; activeOnly?: boolean } = {}): Promise<VisitType[]> {
      const { rows } = await q.query<VisitType>(
        `SELECT ${VISIT_TYPE_COLS} FROM visit_types
          WHERE provider_id = ANY($1::uuid[]) AND ($2::text IS NULL OR code = $2) AND ($3::uuid IS NULL OR id = $3)
            AND (NOT $4 OR active) ORDER BY provider_id, code`,
        [providerIds, f.code ?? null, f.id ?? null, f.activeOnly ?? true])
      return rows
    },
    async visitType (id: string): Promise<VisitType | null> {
      const { rows } = await q.query<VisitType>(`SELECT ${VISIT_TYPE_COLS} FROM visit_types WHERE id = $1`, [id])
      return rows[0] ?? null
    },
    async insertVisitType (v: Omit<VisitType, 'id' | 'active'>): Promise<VisitType> {
      const { rows } = await q.query<VisitType>(
        `INSERT INTO visit_types (provider_id, code, name, duration_minutes, buffer_before_minutes, buffer_after_minutes)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider_id, code) DO NOTHING RETURNING ${VISIT_TYPE_COLS}`,
        [v.providerId, v.code, v.name, v.durationMinutes, v.bufferBeforeMinutes, v.bufferAfterMinutes])
      return rows[0]
    },
    async setVisitTypeActive (providerId: string, id: string, active: boolean): Promise<VisitType | null> {
      const { rows } = await q.query<VisitType>(
        `UPDATE visit_types SET active = $3 WHERE provider_id = $1 AND id = $2 RETURNING ${VISIT_TYPE_COLS}`, [providerId, id, active])
      return rows[0] ?? null
    },
    async rules (providerIds: string[]): Promise<Array<Rule & { providerId: string }>> {
      const { rows } = await q.query<Rule & { providerId: string }>(
        `SELECT provider_id AS "providerId", ${RULE_COLS} FROM availability_rules WHERE provider_id = ANY($1::uuid[])
          ORDER BY weekday, start_time`, [providerIds])
      return rows
    },
    async insertRule (providerId: string, r: WeeklyRule): Promise<Rule> {
      const { rows } = await q.query<Rule>(
        `INSERT INTO availability_rules (provider_id, weekday, start_time, end_time, valid_from, valid_until, visit_type_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${RULE_COLS}`,
        [providerId, r.weekday, r.startTime, r.endTime, r.validFrom, r.validUntil, r.visitTypeId])
      return rows[0]
    },
    async deleteRule (providerId: string, id: string): Promise<boolean> {
      return (await q.query('DELETE FROM availability_rules WHERE provider_id = $1 AND id = $2', [providerId, id])).rowCount > 0
    },
    async exceptions (providerIds: string[], from: Date, to: Date): Promise<Array<ScheduleException & { providerId: string }>> {
      const { rows } = await q.query<ScheduleException & { providerId: string }>(
        `SELECT id, provider_id AS "providerId", kind, starts_at AS "startsAt", ends_at AS "endsAt" FROM schedule_exceptions
          WHERE provider_id = ANY($1::uuid[]) AND tstzrange(starts_at, ends_at) && tstzrange($2, $3) ORDER BY starts_at`,
        [providerIds, from, to])
      return rows
    },
    async insertException (providerId: string, e: Omit<ScheduleException, 'id'>): Promise<ScheduleException> {
      const { rows } = await q.query<ScheduleException>(
        `INSERT INTO schedule_exceptions (provider_id, kind, starts_at, ends_at) VALUES ($1, $2, $3, $4)
         RETURNING id, kind, starts_at AS "startsAt", ends_at AS "endsAt"`, [providerId, e.kind, e.startsAt, e.endsAt])
      return rows[0]
    },
    async deleteException (providerId: string, id: string): Promise<boolean> {
      return (await q.query('DELETE FROM schedule_exceptions WHERE provider_id = $1 AND id = $2', [providerId, id])).rowCount > 0
    },
    /** Provider time held by active visits, buffers included (served by the exclusion constraint's GiST index). */
    async busy (providerIds: string[], from: Date, to: Date): Promise<Array<Interval & { providerId: string }>> {
      const { rows } = await q.query<{ providerId: string; from: Date; until: Date }>(
        `SELECT provider_id AS "providerId", busy_from AS "from", busy_until AS "until" FROM appointments
          WHERE provider_id = ANY($1::uuid[]) AND status IN ('proposed', 'booked', 'arrived', 'fulfilled')
            AND tstzrange(busy_from, busy_until, '[)') && tstzrange($2, $3)`, [providerIds, from, to])
      return rows.map((r) => ({ providerId: r.providerId, start: r.from.getTime(), end: r.until.getTime() }))
    }
  }
}

export type CalendarStore = ReturnType<typeof calendarStore>
