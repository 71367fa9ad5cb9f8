import type { FastifyInstance } from 'fastify'
import { bearer, createTestUser, type TestUser } from '../helpers/users.js'

export interface VisitTypeSpec { code: string; name?: string; durationMinutes: number; bufferBeforeMinutes?: number; bufferAfterMinutes?: number }
export interface RuleSpec { weekday: number; startTime: string; endTime: string; visitTypeId?: string }

export interface CalendarSpec {
  timeZone?: string; specialty?: string | null; minNoticeMinutes?: number; maxAdvanceDays?: number
  visitTypes?: VisitTypeSpec[]
  /** Default: every day 00:00-23:59. */
  rules?: RuleSpec[]
}

export const ALL_WEEK: RuleSpec[] = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime: '00:00', endTime: '23:59' }))

async function ok (app: FastifyInstance, method: 'POST' | 'PUT', url: string, who: TestUser, payload: object) {
  const res = await app.inject({ method, url, headers: bearer(who), payload })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.statusCode === 204 ? null : res.json()
}

/** Records a passed verification, as an admin would through the provider records routes. */
export async function verifiedProvider (app: FastifyInstance): Promise<TestUser> {
  const provider = await createTestUser(app, 'provider')
  await app.db.query(
    `INSERT INTO provider_profiles (id, name_sealed, verification_status, verified_at) VALUES ($1, $2, 'verified', now())`,
    [provider.id, app.phi.seal(JSON.stringify('Dr Test PROVIDER-NAME-MARKER'), { table: 'provider_profiles', column: 'name', row: provider.id })])
  return provider
}

/** A verified provider with a calendar, set up through the API as a provider would. */
export async function providerWithCalendar (app: FastifyInstance, spec: CalendarSpec = {}, actor?: TestUser) {
  const provider = await verifiedProvider(app)
  const who = actor ?? provider
  const base = `/providers/${provider.id}`
  await ok(app, 'PUT', `${base}/calendar`, who, {
    timeZone: spec.timeZone ?? 'UTC', specialty: spec.specialty === undefined ? 'cardiology' : spec.specialty,
    minNoticeMinutes: spec.minNoticeMinutes ?? 0, maxAdvanceDays: spec.maxAdvanceDays ?? 90
  })
  const visitTypes: Array<{ id: string; code: string; durationMinutes: number }> = []
  for (const vt of spec.visitTypes ?? [{ code: 'consult', durationMinutes: 30 }]) {
    visitTypes.push(await ok(app, 'POST', `${base}/visit-types`, who, { name: vt.code, ...vt }))
  }
  for (const r of spec.rules ?? ALL_WEEK) await ok(app, 'POST', `${base}/availability-rules`, who, r)
  return { provider, visitTypes, visitTypeId: visitTypes[0].id }
}

/** The next start on a 30-minute grid at least `minutesAhead` from now that the default all-week rules (00:00-23:59 UTC) allow. */
export function gridStart (minutesAhead: number, stepMinutes = 30): Date {
  const step = stepMinutes * 60_000
  const start = new Date(Math.ceil((Date.now() + minutesAhead * 60_000) / step) * step)
  // The default rules end at 23:59: a visit that would run past it starts at the next midnight instead.
  const endOfDay = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate(), 23, 59)
  return start.getTime() + step > endOfDay ? new Date(endOfDay + 60_000) : start
}

export const bookBody = (providerId: string, visitTypeId: string, startsAt: Date, extra: object = {}) =>
  ({ providerId, visitTypeId, startsAt: startsAt.toISOString(), ...extra })

/** `days` days from today (UTC) at hh:mm UTC. */
export function dayAt (days: number, hh: number, mm = 0): Date {
  const d = new Date()
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days, hh, mm))
}
