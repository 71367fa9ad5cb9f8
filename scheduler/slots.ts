import { DateTime } from 'luxon'

/** Half-open interval [start, end) in epoch milliseconds. */
export interface Interval { start: number; end: number }

export interface CalendarWindow { timeZone: string; minNoticeMinutes: number; maxAdvanceDays: number }
export interface SlotVisitType { id: string; durationMinutes: number; bufferBeforeMinutes: number; bufferAfterMinutes: number }
/** A weekly rule: wall-clock times in the calendar's zone, weekday 1 = Monday. */
export interface WeeklyRule {
  weekday: number; startTime: string; endTime: string
  validFrom: string | null; validUntil: string | null; visitTypeId: string | null
}

export interface SlotInput {
  calendar: CalendarWindow
  visitType: SlotVisitType
  rules: readonly WeeklyRule[]
  /** Exceptions (leave, holidays): no part of a visit, buffers included, may touch them. */
  blocked: readonly Interval[]
  /** Provider time already taken by active visits (their buffers included). */
  busy: readonly Interval[]
  from: number
  to: number
  now: number
}

const MINUTE = 60_000
const overlaps = (a: Interval, list: readonly Interval[]) => list.some((b) => a.start < b.end && b.start < a.end)

/**
 * A wall-clock time on a local day, in epoch ms. In a spring-forward gap
 * luxon moves the time forward, as a wall clock does. A time that occurs
 * twice (fall back) opens a window at its first occurrence and closes one at
 * its second, so the window holds every real minute the clock shows.
 */
function wallClock (day: DateTime, time: string, zone: string, edge: 'open' | 'close'): number {
  const [h, m] = time.split(':').map(Number)
  const t = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: h, minute: m }, { zone })
  const all = t.getPossibleOffsets().map((d) => d.toMillis())
  if (all.length < 2) return t.toMillis()
  return edge === 'open' ? Math.min(...all) : Math.max(...all)
}

/**
 * Every free start of a visit type in [from, to), in UTC milliseconds. Rules
 * are read in the provider's zone day by day, so a 09:00 rule stays 09:00
 * local on both sides of a daylight-saving change. Visits, buffers included,
 * are packed back to back from the start of each window.
 */
export function generateSlots (i: SlotInput): Interval[] {
  const { calendar: c, visitType: vt } = i
  const earliest = Math.max(i.from, i.now + c.minNoticeMinutes * MINUTE)
  const latest = Math.min(i.to, i.now + c.maxAdvanceDays * 1440 * MINUTE)
  if (earliest >= latest) return []
  const before = vt.bufferBeforeMinutes * MINUTE
  const length = vt.durationMinutes * MINUTE
  const step = before + length + vt.bufferAfterMinutes * MINUTE
  const rules = i.rules.filter((r) => r.visitTypeId === null || r.visitTypeId === vt.id)
  const seen = new Set<number>()
  const out: Interval[] = []
  // A window starting the evening before can still hold slots in range.
  let day = DateTime.fromMillis(earliest, { zone: c.timeZone }).startOf('day').minus({ days: 1 })
  const lastDay = DateTime.fromMillis(latest, { zone: c.timeZone }).startOf('day')
  while (day <= lastDay) {
    const iso = day.toISODate()!
    for (const r of rules) {
      if (r.weekday !== day.weekday) continue
      if ((r.validFrom && iso < r.validFrom) || (r.validUntil && iso > r.validUntil)) continue
      const windowStart = wallClock(day, r.startTime, c.timeZone, 'open')
      const windowEnd = wallClock(day, r.endTime, c.timeZone, 'close')
      for (let busyFrom = windowStart; busyFrom + step <= windowEnd; busyFrom += step) {
        const start = busyFrom + before
        if (start < earliest || start >= latest || seen.has(start)) continue
        const taken = { start: busyFrom, end: busyFrom + step }
        if (overlaps(taken, i.blocked) || overlaps(taken, i.busy)) continue
        seen.add(start)
        out.push({ start, end: start + length })
      }
    }
    day = day.plus({ days: 1 })
  }
  return out.sort((a, b) => a.start - b.start)
}

/** The provider time a visit starting at `start` occupies. */
export function busyRange (vt: SlotVisitType, start: number): Interval & { visitEnd: number } {
  const visitEnd = start + vt.durationMinutes * MINUTE
  return { start: start - vt.bufferBeforeMinutes * MINUTE, end: visitEnd + vt.bufferAfterMinutes * MINUTE, visitEnd }
}

export const isValidZone = (zone: string): boolean => DateTime.local().setZone(zone).isValid
