import t from 'tap'
import { generateSlots, type SlotInput } from '../../scheduler/slots.js'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { bookBody, dayAt, providerWithCalendar } from './helpers.js'

const iso = (ms: number) => new Date(ms).toISOString()
const base = (zone: string, rules: SlotInput['rules'], from: string, to: string): SlotInput => ({
  calendar: { timeZone: zone, minNoticeMinutes: 0, maxAdvanceDays: 3650 },
  visitType: { id: 'vt', durationMinutes: 30, bufferBeforeMinutes: 0, bufferAfterMinutes: 0 },
  rules, blocked: [], busy: [], from: Date.parse(from), to: Date.parse(to), now: Date.parse('2026-01-01T00:00:00Z')
})
const sunday = (startTime: string, endTime: string) => [{ weekday: 7, startTime, endTime, validFrom: null, validUntil: null, visitTypeId: null }]

t.test('DST spring forward: a weekly 09:00 rule stays 09:00 local (America/New_York, 2026-03-08)', async (t) => {
  const slots = generateSlots(base('America/New_York', sunday('09:00', '10:00'), '2026-03-01T00:00:00Z', '2026-03-09T00:00:00Z'))
  t.same(slots.map((s) => iso(s.start)), [
    '2026-03-01T14:00:00.000Z', '2026-03-01T14:30:00.000Z', // EST, UTC-5
    '2026-03-08T13:00:00.000Z', '2026-03-08T13:30:00.000Z' // EDT, UTC-4
  ])
  // 02:00-04:00 on the change day: 02:00-03:00 does not exist, so only one real hour.
  const gap = generateSlots(base('America/New_York', sunday('02:00', '04:00'), '2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z'))
  t.same(gap.map((s) => iso(s.start)), ['2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z'], '03:00 and 03:30 EDT only')
})

t.test('DST fall back: a weekly rule across the repeated hour (America/New_York, 2026-11-01)', async (t) => {
  const slots = generateSlots(base('America/New_York', sunday('09:00', '10:00'), '2026-10-25T00:00:00Z', '2026-11-02T00:00:00Z'))
  t.same(slots.map((s) => iso(s.start)), [
    '2026-10-25T13:00:00.000Z', '2026-10-25T13:30:00.000Z', // EDT
    '2026-11-01T14:00:00.000Z', '2026-11-01T14:30:00.000Z' // EST
  ])
  // 01:00 EDT to 03:00 EST is three real hours: six half-hour slots, none twice.
  const rep = generateSlots(base('America/New_York', sunday('01:00', '03:00'), '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'))
  t.equal(rep.length, 6)
  t.equal(iso(rep[0].start), '2026-11-01T05:00:00.000Z')
  t.equal(iso(rep[5].start), '2026-11-01T07:30:00.000Z')
  t.equal(new Set(rep.map((s) => s.start)).size, 6)
})

t.test('buffers, exceptions, busy time and the booking window', async (t) => {
  const i = base('Europe/Berlin', [{ weekday: 1, startTime: '09:00', endTime: '11:00', validFrom: null, validUntil: null, visitTypeId: null }],
    '2026-06-01T00:00:00Z', '2026-06-02T00:00:00Z')
  i.visitType = { id: 'vt', durationMinutes: 30, bufferBeforeMinutes: 5, bufferAfterMinutes: 5 }
  // Berlin is UTC+2 in June: window 07:00-09:00Z, visits take 40 minutes of provider time.
  t.same(generateSlots(i).map((s) => iso(s.start)), ['2026-06-01T07:05:00.000Z', '2026-06-01T07:45:00.000Z', '2026-06-01T08:25:00.000Z'])
  t.same(generateSlots({ ...i, blocked: [{ start: Date.parse('2026-06-01T07:30:00Z'), end: Date.parse('2026-06-01T07:50:00Z') }] }).map((s) => iso(s.start)),
    ['2026-06-01T08:25:00.000Z'], 'an exception touching a visit or its buffer removes it')
  t.same(generateSlots({ ...i, busy: [{ start: Date.parse('2026-06-01T07:40:00Z'), end: Date.parse('2026-06-01T08:20:00Z') }] }).map((s) => iso(s.start)),
    ['2026-06-01T07:05:00.000Z', '2026-06-01T08:25:00.000Z'])
  t.same(generateSlots({ ...i, now: Date.parse('2026-06-01T07:00:00Z'), calendar: { ...i.calendar, minNoticeMinutes: 60 } }).map((s) => iso(s.start)),
    ['2026-06-01T08:25:00.000Z'], 'min notice')
  t.same(generateSlots({ ...i, rules: [{ ...i.rules[0], validFrom: '2026-06-02' }] }), [], 'rule not yet valid')
})

t.test('slot search through the API: UTC times with the zone, DST weeks, filters, paging, bookings disappear', async (t) => {
  const { app } = await buildTestApp(t, { SCHEDULER_SEARCH_MAX_DAYS: '31' })
  // Berlin changes clocks on 2027-03-28 and 2027-10-31 (Sundays).
  const { provider, visitTypeId } = await providerWithCalendar(app, {
    timeZone: 'Europe/Berlin', specialty: 'Dermatology', maxAdvanceDays: 730,
    visitTypes: [{ code: 'consult', durationMinutes: 30 }, { code: 'long', durationMinutes: 60 }],
    rules: [{ weekday: 7, startTime: '09:00', endTime: '10:00' }]
  })
  const other = await providerWithCalendar(app, { specialty: 'cardiology' })
  const pat = await createTestUser(app, 'patient')
  const search = async (qs: string) => {
    const res = await app.inject({ url: `/slots?${qs}`, headers: bearer(pat) })
    t.equal(res.statusCode, 200, 'slot search 200')
    return res.json() as { slots: Array<{ startsAt: string; timeZone: string; providerId: string; visitType: string }>; nextCursor: string | null }
  }
  const spring = await search(`providerId=${provider.id}&visitType=consult&from=2027-03-20T00:00:00Z&to=2027-03-29T00:00:00Z`)
  t.same(spring.slots.map((s) => s.startsAt), ['2027-03-21T08:00:00.000Z', '2027-03-21T08:30:00.000Z', '2027-03-28T07:00:00.000Z', '2027-03-28T07:30:00.000Z'])
  t.ok(spring.slots.every((s) => s.timeZone === 'Europe/Berlin'))
  const fall = await search(`providerId=${provider.id}&visitType=consult&from=2027-10-23T00:00:00Z&to=2027-11-01T00:00:00Z`)
  t.same(fall.slots.map((s) => s.startsAt), ['2027-10-24T07:00:00.000Z', '2027-10-24T07:30:00.000Z', '2027-10-31T08:00:00.000Z', '2027-10-31T08:30:00.000Z'])

  const bySpecialty = await search('specialty=dermatology&from=2027-03-20T00:00:00Z&to=2027-03-29T00:00:00Z')
  t.ok(bySpecialty.slots.length === 6 && bySpecialty.slots.every((s) => s.providerId === provider.id), 'specialty filter, both visit types')
  t.equal(bySpecialty.slots.filter((s) => s.visitType === 'long').length, 2)

  // Paging through a day of the all-week provider: 46 half-hour slots, 10 a page, nothing twice.
  const day = dayAt(5, 0)
  const q = `providerId=${other.provider.id}&from=${day.toISOString()}&to=${new Date(day.getTime() + 86_400_000).toISOString()}&limit=10`
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const page = await search(q + (cursor ? `&cursor=${cursor}` : ''))
    seen.push(...page.slots.map((s) => s.startsAt))
    cursor = page.nextCursor
    pages++
  } while (cursor && pages < 20)
  t.equal(seen.length, 47, '00:00 … 23:00 every 30 minutes')
  t.equal(new Set(seen).size, seen.length)
  t.equal(pages, 5)

  // A booking removes its slot at once (the database announces the write before it returns).
  const at = dayAt(5, 10)
  t.ok((await search(q.replace('limit=10', 'limit=200'))).slots.some((s) => s.startsAt === at.toISOString()))
  const booked = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(other.provider.id, other.visitTypeId, at) })
  t.equal(booked.statusCode, 201)
  t.notOk((await search(q.replace('limit=10', 'limit=200'))).slots.some((s) => s.startsAt === at.toISOString()))

  // Leave: an exception removes slots, and booking inside it is a 422.
  const leave = await app.inject({
    method: 'POST', url: `/providers/${other.provider.id}/exceptions`, headers: bearer(other.provider),
    payload: { kind: 'leave', startsAt: dayAt(5, 12).toISOString(), endsAt: dayAt(5, 14).toISOString() }
  })
  t.equal(leave.statusCode, 201)
  t.equal(leave.json().overlappingVisits, 0, 'the 10:00 booking is outside the leave')
  const after = await search(q.replace('limit=10', 'limit=200'))
  t.equal(after.slots.length, 47 - 1 - 4)
  const overLeave = await app.inject({
    method: 'POST', url: `/providers/${other.provider.id}/exceptions`, headers: bearer(other.provider),
    payload: { kind: 'other', startsAt: dayAt(5, 9).toISOString(), endsAt: dayAt(5, 11).toISOString() }
  })
  t.equal(overLeave.json().overlappingVisits, 1, 'adding leave over a booked visit says so')
  const inLeave = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(other.provider.id, other.visitTypeId, dayAt(5, 12, 30)) })
  t.equal(inLeave.statusCode, 422)
  void visitTypeId
})

t.test('unverified providers cannot open a calendar and never appear in search', async (t) => {
  const { app } = await buildTestApp(t)
  const unverified = await createTestUser(app, 'provider')
  const res = await app.inject({ method: 'PUT', url: `/providers/${unverified.id}/calendar`, headers: bearer(unverified), payload: { timeZone: 'UTC', specialty: 'x' } })
  t.equal(res.statusCode, 422)
  const { provider } = await providerWithCalendar(app, { specialty: 'x' })
  const pat = await createTestUser(app, 'patient')
  const q = `/slots?specialty=x&from=${dayAt(2, 0).toISOString()}&to=${dayAt(3, 0).toISOString()}`
  t.ok((await app.inject({ url: q, headers: bearer(pat) })).json().slots.length > 0)
  // Verification revoked: gone from search at once, though the search was cached.
  await app.db.query(`UPDATE provider_profiles SET verification_status = 'revoked' WHERE id = $1`, [provider.id])
  t.same((await app.inject({ url: q, headers: bearer(pat) })).json().slots, [])
})

t.test('SCHEDULER_PUBLIC_SLOT_SEARCH opens search (only search) to anonymous callers', async (t) => {
  const { app } = await buildTestApp(t, { SCHEDULER_PUBLIC_SLOT_SEARCH: 'true' })
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const res = await app.inject({ url: `/slots?providerId=${provider.id}&from=${dayAt(2, 0).toISOString()}&to=${dayAt(3, 0).toISOString()}` })
  t.equal(res.statusCode, 200)
  t.equal(res.json().slots.length, 47)
  t.equal((await app.inject({ method: 'POST', url: '/appointments', payload: bookBody(provider.id, visitTypeId, dayAt(2, 10)) })).statusCode, 401)
})

t.test('a slot booked through one API process leaves every process\'s cached search at once', async (t) => {
  // A minute of cache: only the change feed can explain a slot disappearing.
  const a = await buildTestApp(t, { SCHEDULER_SLOT_CACHE_MS: '60000' })
  const b = await buildTestApp(t, { SCHEDULER_SLOT_CACHE_MS: '60000' }, { peerOf: a })
  const { provider, visitTypeId } = await providerWithCalendar(a.app)
  const pat = await createTestUser(a.app, 'patient')
  const at = dayAt(3, 10)
  const q = `/slots?providerId=${provider.id}&from=${dayAt(3, 0).toISOString()}&to=${dayAt(4, 0).toISOString()}&limit=100`
  const offered = async () => (await b.app.inject({ url: q, headers: bearer(pat) })).json().slots.some((s: { startsAt: string }) => s.startsAt === at.toISOString())
  t.ok(await offered(), 'process B offers 10:00 (and caches its search)')
  const booked = await a.app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, at) })
  t.equal(booked.statusCode, 201, 'booked through process A')
  const t0 = Date.now()
  while (await offered() && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 10))
  t.notOk(await offered(), `process B stopped offering it after ${Date.now() - t0} ms`)
  const taken = await b.app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, at) })
  t.equal(taken.statusCode, 409, 'and booking it through B is a conflict')
})
