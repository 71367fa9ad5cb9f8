import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { bookBody, dayAt, providerWithCalendar } from './helpers.js'

t.test('check-in window, waiting room, FHIR status moves', async (t) => {
  const { app } = await buildTestApp(t, { SCHEDULER_CHECK_IN_OPENS_MINUTES: '15' })
  // Five-minute visits all day: the next slot is never more than a few minutes away.
  const { provider, visitTypeId } = await providerWithCalendar(app, { visitTypes: [{ code: 'quick', durationMinutes: 5 }] })
  const other = await providerWithCalendar(app)
  const staff = await createTestUser(app, 'staff')
  const pat = await createTestUser(app, 'patient')
  const now = Date.now()
  const slots = await app.inject({
    url: `/slots?providerId=${provider.id}&from=${new Date(now).toISOString()}&to=${new Date(now + 3600_000).toISOString()}&limit=1`, headers: bearer(pat)
  })
  const soon = slots.json().slots[0].startsAt as string
  const a = (await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: { providerId: provider.id, visitTypeId, startsAt: soon } })).json()
  const later = (await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, dayAt(2, 10)) })).json()

  const early = await app.inject({ method: 'POST', url: `/appointments/${later.id}/check-in`, headers: bearer(pat) })
  t.equal(early.statusCode, 422)
  t.match(early.json().message, /opens 15 minutes before/)
  const stranger = await createTestUser(app, 'patient')
  t.equal((await app.inject({ method: 'POST', url: `/appointments/${a.id}/check-in`, headers: bearer(stranger) })).statusCode, 404)

  const inNow = await app.inject({ method: 'POST', url: `/appointments/${a.id}/check-in`, headers: bearer(pat) })
  t.equal(inNow.statusCode, 200)
  t.equal(inNow.json().status, 'arrived')
  t.ok(inNow.json().checkedInAt)
  t.equal((await app.inject({ method: 'POST', url: `/appointments/${a.id}/check-in`, headers: bearer(pat) })).json().status, 'arrived', 'check-in is idempotent')

  const room = await app.inject({ url: '/waiting-room', headers: bearer(provider) })
  t.same(room.json().waiting.map((w: { appointmentId: string; patientId: string }) => [w.appointmentId, w.patientId]), [[a.id, pat.id]])
  t.same((await app.inject({ url: '/waiting-room', headers: bearer(other.provider) })).json().waiting, [], 'another provider sees nobody')
  t.equal((await app.inject({ url: `/waiting-room?providerId=${provider.id}`, headers: bearer(other.provider) })).statusCode, 403)
  t.equal((await app.inject({ url: `/waiting-room?providerId=${provider.id}`, headers: bearer(staff) })).json().waiting.length, 1)
  t.equal((await app.inject({ url: '/waiting-room', headers: bearer(pat) })).statusCode, 403)
  t.notMatch(room.body, /reason/)

  // fulfilled / noshow only after the start; patients cannot set them.
  t.equal((await app.inject({ method: 'POST', url: `/appointments/${later.id}/status`, headers: bearer(provider), payload: { status: 'noshow' } })).statusCode, 422)
  t.equal((await app.inject({ method: 'POST', url: `/appointments/${a.id}/status`, headers: bearer(pat), payload: { status: 'fulfilled' } })).statusCode, 403)
  await app.db.query(`UPDATE appointments SET starts_at = now() - interval '1 minute', busy_from = now() - interval '1 minute' WHERE id = $1`, [a.id])
  const done = await app.inject({ method: 'POST', url: `/appointments/${a.id}/status`, headers: bearer(provider), payload: { status: 'fulfilled' } })
  t.equal(done.statusCode, 200)
  t.equal(done.json().status, 'fulfilled')
  t.same((await app.inject({ url: '/waiting-room', headers: bearer(provider) })).json().waiting, [], 'seen: no longer waiting')
  const back = await app.inject({ method: 'POST', url: `/appointments/${a.id}/status`, headers: bearer(provider), payload: { status: 'booked' } })
  t.equal(back.statusCode, 409)
  t.match(back.json().message, /A fulfilled visit cannot become booked/)
})

t.test('staff propose a time, the patient confirms it; reminders start only then', async (t) => {
  const { app } = await buildTestApp(t)
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const staff = await createTestUser(app, 'staff')
  const pat = await createTestUser(app, 'patient')
  const proposed = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(staff), payload: bookBody(provider.id, visitTypeId, dayAt(3, 10), { patientId: pat.id, status: 'proposed' }) })
  t.equal(proposed.statusCode, 201)
  t.equal(proposed.json().status, 'proposed')
  const clash = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, dayAt(3, 10)) })
  t.equal(clash.statusCode, 409, 'a proposal holds the time')
  const selfPropose = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, dayAt(3, 11), { status: 'proposed' }) })
  t.equal(selfPropose.statusCode, 403)
  const count = async () => Number((await app.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM outbox WHERE template = 'appointment-reminder'`)).rows[0].n)
  t.equal(await count(), 0)
  const ok = await app.inject({ method: 'POST', url: `/appointments/${proposed.json().id}/status`, headers: bearer(pat), payload: { status: 'booked' } })
  t.equal(ok.statusCode, 200)
  t.equal(ok.json().status, 'booked')
  t.equal(await count(), 2)
  const history = await app.db.query<{ action: string; actor_role: string }>(
    `SELECT action, actor_role FROM audit_log WHERE target_id = $1 ORDER BY seq`, [proposed.json().id])
  t.same(history.rows.map((r) => [r.action, r.actor_role]), [['appointment.book', 'staff'], ['appointment.status', 'patient']])
})
