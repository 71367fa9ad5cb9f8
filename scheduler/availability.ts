import { Unprocessable } from '../core/errors.js'
import type { Queryable } from '../core/db/db.js'
import type { Calendar, VisitType } from './calendar-store.js'
import { generateSlots, type WeeklyRule } from './slots.js'

const DAY = 86_400_000

interface Loaded {
  patient_ok: boolean | null
  calendar: Calendar | null
  visit_type: VisitType | null
  rules: WeeklyRule[]
  exceptions: Array<{ s: string; e: string }>
}

/**
 * Everything a booking is checked against, in one round trip: the hot path
 * of a booking storm is database latency, not CPU.
 */
async function load (q: Queryable, patientId: string | null, providerId: string, visitTypeId: string, start: number): Promise<Loaded> {
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
          FROM schedule_exceptions WHERE provider_id = $2 AND tstzrange(starts_at, ends_at) && tstzrange($4, $5)) AS exceptions`,
    [patientId, providerId, visitTypeId, new Date(start - DAY), new Date(start + DAY)])
  return rows[0]
}

/**
 * Confirms a visit of this type may start at `start` on the provider's
 * calendar: inside a weekly rule, on its slot grid, clear of exceptions and
 * inside the booking window (and, given a patientId, that it is an active
 * patient). Other bookings are not checked here: overlap is the database's
 * job (a 409), so this can never race with it.
 */
export async function assertWithinAvailability (q: Queryable, providerId: string, visitTypeId: string, start: number, now: number,
  patientId: string | null = null): Promise<{ calendar: Calendar; visitType: VisitType }> {
  const l = await load(q, patientId, providerId, visitTypeId, start)
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
  return { calendar, visitType }
}
