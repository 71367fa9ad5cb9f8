import { Conflict, Unprocessable } from '../core/errors.js'
import type { Queryable } from '../core/db/db.js'
import type { Calendar, VisitType } from './calendar-store.js'
import { generateSlots, type WeeklyRule } from './slots.js'

const DAY = 86_400_000
const ACTIVE = `('proposed', 'booked', 'arrived', 'fulfilled')`

export const PROVIDER_TAKEN = 'This time is no longer available: the provider already has a visit then'
export const PATIENT_TAKEN = 'The patient already has a visit that overlaps this time'

interface Loaded {
  patient_ok: boolean | null
  calendar: Calendar | null
  visit_type: VisitType | null
  rules: WeeklyRule[]
  exceptions: Array<{ s: string; e: string }>
  provider_taken: boolean
  patient_taken: boolean
}

/**
 * Everything a booking is checked against, in one round trip: the hot path
 * of a booking storm is database latency, not CPU.
 */
async function load (q: Queryable, patientId: string | null, providerId: string, visitTypeId: string, start: number,
  ignoreId: string | null): Promise<Loaded> {
  const { rows } = await q.query<Loaded>(
    `SELECT
       (SELECT role = 'patient' FROM users WHERE id = $1 AND disabled_at IS NULL) AS patient_ok,
       (SELECT json_build_object('providerId', provider_id, 'timeZone', time_zone, 'specialty', specialty,
               'minNoticeMinutes', min_notice_minutes, 'maxAdvanceDays', max_advance_days)
          FROM provider_calendars WHERE provider_id = $2) AS calendar,
       (SELECT json_build_object('id', id, 'providerId', provider_id, 'code', code, 'name', name, 'durationMinutes', duration_minutes,
               'bufferBeforeMinutes', buffer_before_minutes, 'bufferAfterMinutes', buffer_after_minutes, 'active', active)
          FROM visit_types WHERE id = $3) AS visit_type,
       (SELECT coalesce(json_agg(json_build_object('weekday', weekday, 'startTime', to_char(start_time, 'HH24:MI'),
               'endTime', to_char(end_time, 'HH24:MI'), 'validFrom', valid_from::text, 'validUntil', valid_until::text,
               'visitTypeId', visit_type_id)), '[]'::json)
          FROM availability_rules WHERE provider_id = $2) AS rules,
       (SELECT coalesce(json_agg(json_build_object('s', starts_at, 'e', ends_at)), '[]'::json)
          FROM schedule_exceptions WHERE provider_id = $2 AND tstzrange(starts_at, ends_at) && tstzrange($4, $5)) AS exceptions,
       EXISTS (SELECT 1 FROM appointments a JOIN visit_types v ON v.id = $3
                WHERE a.provider_id = $2 AND a.status IN ${ACTIVE} AND a.id IS DISTINCT FROM $7
                  AND tstzrange(a.busy_from, a.busy_until, '[)') && tstzrange($6::timestamptz - make_interval(mins => v.buffer_before_minutes),
                        $6::timestamptz + make_interval(mins => v.duration_minutes + v.buffer_after_minutes), '[)')) AS provider_taken,
       EXISTS (SELECT 1 FROM appointments a JOIN visit_types v ON v.id = $3
                WHERE a.patient_id = $1 AND a.status IN ${ACTIVE} AND a.id IS DISTINCT FROM $7
                  AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange($6::timestamptz, $6::timestamptz + make_interval(mins => v.duration_minutes), '[)')) AS patient_taken`,
    [patientId, providerId, visitTypeId, new Date(start - DAY), new Date(start + DAY), new Date(start), ignoreId])
  return rows[0]
}

/**
 * Confirms a visit of this type may start at `start` on the provider's
 * calendar: inside a weekly rule, on its slot grid, clear of exceptions and
 * inside the booking window (and, given a patientId, that it is an active
 * patient). A time already taken is a 409 here without opening a
 * transaction; that is only a fast path for the common loser of a race: the
 * exclusion constraints remain what guarantees no overlap.
 */
export async function assertWithinAvailability (q: Queryable, providerId: string, visitTypeId: string, start: number, now: number,
  patientId: string | null = null, ignoreAppointmentId: string | null = null): Promise<{ calendar: Calendar; visitType: VisitType }> {
  const l = await load(q, patientId, providerId, visitTypeId, start, ignoreAppointmentId)
  if (patientId !== null && l.patient_ok !== true) throw new Unprocessable('patientId is not an active patient account')
  const calendar = l.calendar
  if (!calendar) throw new Unprocessable('This provider has no bookable calendar')
  const visitType = l.visit_type
  if (!visitType || visitType.providerId !== providerId || !visitType.active) {
    throw new Unprocessable('The visit type is not offered by this provider')
  }
  if (start < now + calendar.minNoticeMinutes * 60_000) {
    throw new Unprocessable(`Visits must be booked at least ${calendar.minNoticeMinutes} minutes ahead`)
  }
  if (start > now + calendar.maxAdvanceDays * DAY) {
    throw new Unprocessable(`Visits can be booked at most ${calendar.maxAdvanceDays} days ahead`)
  }
  const fits = generateSlots({
    calendar, visitType, rules: l.rules, busy: [], now,
    blocked: l.exceptions.map((e) => ({ start: Date.parse(e.s), end: Date.parse(e.e) })),
    from: start, to: start + 1
  }).some((s) => s.start === start)
  if (!fits) throw new Unprocessable('The requested time is outside the provider\'s availability')
  if (l.provider_taken) throw new Conflict(PROVIDER_TAKEN)
  if (l.patient_taken) throw new Conflict(PATIENT_TAKEN)
  return { calendar, visitType }
}
