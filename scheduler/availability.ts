import { Unprocessable } from '../core/errors.js'
import type { Queryable } from '../core/db/db.js'
import { calendarStore, type Calendar, type VisitType } from './calendar-store.js'
import { generateSlots } from './slots.js'

const DAY = 86_400_000

/**
 * Confirms a visit of this type may start at `start` on the provider's
 * calendar: inside a weekly rule, on its slot grid, clear of exceptions and
 * inside the booking window. Other bookings are not checked here: overlap is
 * the database's job (a 409), so this can never race with it.
 */
export async function assertWithinAvailability (q: Queryable, providerId: string, visitTypeId: string, start: number, now: number):
Promise<{ calendar: Calendar; visitType: VisitType }> {
  const store = calendarStore(q)
  const calendar = await store.calendar(providerId)
  if (!calendar) throw new Unprocessable('This provider has no bookable calendar')
  const visitType = await store.visitType(visitTypeId)
  if (!visitType || visitType.providerId !== providerId || !visitType.active) {
    throw new Unprocessable('The visit type is not offered by this provider')
  }
  if (start < now + calendar.minNoticeMinutes * 60_000) {
    throw new Unprocessable(`Visits must be booked at least ${calendar.minNoticeMinutes} minutes ahead`)
  }
  if (start > now + calendar.maxAdvanceDays * DAY) {
    throw new Unprocessable(`Visits can be booked at most ${calendar.maxAdvanceDays} days ahead`)
  }
  const [rules, exceptions] = await Promise.all([
    store.rules([providerId]),
    store.exceptions([providerId], new Date(start - DAY), new Date(start + DAY))
  ])
  const fits = generateSlots({
    calendar, visitType, rules, busy: [], now,
    blocked: exceptions.map((e) => ({ start: e.startsAt.getTime(), end: e.endsAt.getTime() })),
    from: start, to: start + 1
  }).some((s) => s.start === start)
  if (!fits) throw new Unprocessable('The requested time is outside the provider\'s availability')
  return { calendar, visitType }
}
