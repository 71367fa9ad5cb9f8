import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { bookBody, dayAt, gridStart, providerWithCalendar } from './helpers.js'

const REASON = 'Chest pain since Tuesday PHI-MARKER-7731'

t.test('booking, conflicts, availability, idempotency, cancel and reschedule', async (t) => {
  const { app, logs } = await buildTestApp(t, { SCHEDULER_PATIENT_CANCEL_CUTOFF_MINUTES: '120' })
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const alice = await createTestUser(app, 'patient')
  const bob = await createTestUser(app, 'patient')
  const at = dayAt(2, 10)

  const first = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(alice), payload: bookBody(provider.id, visitTypeId, at, { reason: REASON }) })
  t.equal(first.statusCode, 201, first.body)
  const appt = first.json()
  t.match(appt, { patientId: alice.id, providerId: provider.id, status: 'booked', startsAt: at.toISOString(), endsAt: new Date(at.getTime() + 30 * 60_000).toISOString() })
  t.notOk('reason' in appt, 'the booking response does not echo the reason')

  const row = await app.db.query<{ reason_sealed: Buffer }>('SELECT reason_sealed FROM appointments WHERE id = $1', [appt.id])
  t.notMatch(row.rows[0].reason_sealed.toString('latin1'), /PHI-MARKER/, 'reason is sealed at rest')
  t.equal(await app.phiVault.open(row.rows[0].reason_sealed, { table: 'appointments', column: 'reason', row: appt.id }), REASON, 'with the patient\'s data key')

  const clash = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(bob), payload: bookBody(provider.id, visitTypeId, at) })
  t.equal(clash.statusCode, 409)
  t.match(clash.json(), { statusCode: 409, error: 'Conflict', message: /no longer available/ })

  const offGrid = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(bob), payload: bookBody(provider.id, visitTypeId, dayAt(2, 10, 7)) })
  t.equal(offGrid.statusCode, 422, 'a start off the slot grid is outside availability')
  const tooFar = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(bob), payload: bookBody(provider.id, visitTypeId, dayAt(200, 10)) })
  t.equal(tooFar.statusCode, 422)
  t.match(tooFar.json().message, /at most 90 days/)

  // Patient overlap: alice cannot hold a second visit at the same time with another provider.
  const other = await providerWithCalendar(app)
  const double = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(alice), payload: bookBody(other.provider.id, other.visitTypeId, at) })
  t.equal(double.statusCode, 409)
  t.match(double.json().message, /patient already has a visit/)

  // Idempotency: same key, same body -> the first booking again; different body -> 422.
  const key = { 'idempotency-key': 'retry-key-0001' }
  const at2 = dayAt(3, 9)
  const b1 = await app.inject({ method: 'POST', url: '/appointments', headers: { ...bearer(bob), ...key }, payload: bookBody(provider.id, visitTypeId, at2) })
  const b2 = await app.inject({ method: 'POST', url: '/appointments', headers: { ...bearer(bob), ...key }, payload: bookBody(provider.id, visitTypeId, at2) })
  t.equal(b1.statusCode, 201)
  t.equal(b2.statusCode, 200)
  t.equal(b2.headers['idempotent-replayed'], 'true')
  t.equal(b2.json().id, b1.json().id)
  const b3 = await app.inject({ method: 'POST', url: '/appointments', headers: { ...bearer(bob), ...key }, payload: bookBody(provider.id, visitTypeId, dayAt(3, 11)) })
  t.equal(b3.statusCode, 422)
  const count = await app.db.query<{ n: string }>('SELECT count(*)::text AS n FROM appointments WHERE patient_id = $1', [bob.id])
  t.equal(count.rows[0].n, '1', 'retries wrote one appointment')

  // Reading back: patient and provider see the reason, staff do not.
  const staff = await createTestUser(app, 'staff')
  const asPatient = await app.inject({ url: `/appointments/${appt.id}`, headers: bearer(alice) })
  t.equal(asPatient.json().reason, REASON)
  t.equal((await app.inject({ url: `/appointments/${appt.id}`, headers: bearer(provider) })).json().reason, REASON)
  const asStaff = await app.inject({ url: `/appointments/${appt.id}`, headers: bearer(staff) })
  t.equal(asStaff.statusCode, 200)
  t.notOk('reason' in asStaff.json())
  t.equal((await app.inject({ url: `/appointments/${appt.id}`, headers: bearer(bob) })).statusCode, 404, 'another patient cannot see it')
  t.equal((await app.inject({ url: `/appointments/${appt.id}`, headers: bearer(other.provider) })).statusCode, 404, 'another provider cannot see it')

  // Reschedule by patient (before the cut-off), then the old time is free again.
  const moved = await app.inject({ method: 'POST', url: `/appointments/${appt.id}/reschedule`, headers: bearer(alice), payload: { startsAt: dayAt(2, 14).toISOString() } })
  t.equal(moved.statusCode, 200, moved.body)
  t.equal(moved.json().startsAt, dayAt(2, 14).toISOString())
  t.equal(moved.json().version, 2)
  const freed = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(bob), payload: bookBody(provider.id, visitTypeId, at) })
  t.equal(freed.statusCode, 201, 'the old slot is free after the reschedule')
  const onto = await app.inject({ method: 'POST', url: `/appointments/${appt.id}/reschedule`, headers: bearer(alice), payload: { startsAt: at.toISOString() } })
  t.equal(onto.statusCode, 409, 'rescheduling onto a taken slot conflicts')

  // Staff cancel needs a reason; patient cancel does not.
  const noReason = await app.inject({ method: 'POST', url: `/appointments/${freed.json().id}/cancel`, headers: bearer(staff), payload: {} })
  t.equal(noReason.statusCode, 422)
  const staffCancel = await app.inject({ method: 'POST', url: `/appointments/${freed.json().id}/cancel`, headers: bearer(staff), payload: { reason: 'Provider unwell PHI-MARKER-7731' } })
  t.equal(staffCancel.statusCode, 200)
  t.equal(staffCancel.json().status, 'cancelled')
  const again = await app.inject({ method: 'POST', url: `/appointments/${freed.json().id}/cancel`, headers: bearer(bob), payload: {} })
  t.equal(again.statusCode, 409)
  const patientCancel = await app.inject({ method: 'POST', url: `/appointments/${appt.id}/cancel`, headers: bearer(alice), payload: {} })
  t.equal(patientCancel.statusCode, 200)

  // Audit: every change, and no PHI in the audit details or logs.
  const audit = await app.db.query<{ action: string; details: string }>(
    `SELECT action, details::text AS details FROM audit_log WHERE target_type = 'appointment' ORDER BY seq`)
  const actions = audit.rows.map((r) => r.action)
  for (const a of ['appointment.book', 'appointment.reschedule', 'appointment.cancel', 'appointment.read-reason']) t.ok(actions.includes(a), a)
  t.notOk(audit.rows.some((r) => r.details.includes('PHI-MARKER')), 'no PHI in audit details')
  t.notOk(logs.join('').includes('PHI-MARKER'), 'no PHI in logs')
})

t.test('patient cut-off: too late online, provider and staff still can with a reason', async (t) => {
  const { app } = await buildTestApp(t, { SCHEDULER_PATIENT_CANCEL_CUTOFF_MINUTES: '1440' })
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const pat = await createTestUser(app, 'patient')
  const soon = gridStart(180)
  const res = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, soon) })
  t.equal(res.statusCode, 201, res.body)
  const id = res.json().id
  const late = await app.inject({ method: 'POST', url: `/appointments/${id}/cancel`, headers: bearer(pat), payload: {} })
  t.equal(late.statusCode, 422)
  t.match(late.json().message, /until 1440 minutes before/)
  const byProvider = await app.inject({ method: 'POST', url: `/appointments/${id}/cancel`, headers: bearer(provider), payload: { reason: 'clinic closed' } })
  t.equal(byProvider.statusCode, 200)
})

t.test('access: patients act for themselves, providers on their own calendar, staff for anyone, admins not at all', async (t) => {
  const { app } = await buildTestApp(t)
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const other = await createTestUser(app, 'provider')
  const staff = await createTestUser(app, 'staff')
  const admin = await createTestUser(app, 'admin')
  const pat = await createTestUser(app, 'patient')
  const pat2 = await createTestUser(app, 'patient')
  const at = dayAt(4, 8)

  const forOther = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, at, { patientId: pat2.id }) })
  t.equal(forOther.statusCode, 403)
  const byAdmin = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(admin), payload: bookBody(provider.id, visitTypeId, at, { patientId: pat.id }) })
  t.equal(byAdmin.statusCode, 403)
  const byOtherProvider = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(other), payload: bookBody(provider.id, visitTypeId, at, { patientId: pat.id }) })
  t.equal(byOtherProvider.statusCode, 403)
  const noMfa = await createTestUser(app, 'staff', { mfa: false })
  t.equal((await app.inject({ method: 'POST', url: '/appointments', headers: bearer(noMfa), payload: bookBody(provider.id, visitTypeId, at, { patientId: pat.id }) })).statusCode, 403)
  t.equal((await app.inject({ url: '/slots?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z' })).statusCode, 401)

  const byStaff = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(staff), payload: bookBody(provider.id, visitTypeId, at, { patientId: pat.id, reason: 'follow-up' }) })
  t.equal(byStaff.statusCode, 201)
  const staffMissingPatient = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(staff), payload: bookBody(provider.id, visitTypeId, dayAt(4, 9)) })
  t.equal(staffMissingPatient.statusCode, 400)
  const notAPatient = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(staff), payload: bookBody(provider.id, visitTypeId, dayAt(4, 9), { patientId: other.id }) })
  t.equal(notAPatient.statusCode, 422)

  // Calendars: a provider cannot touch another's; staff can; admin cannot.
  const rule = { weekday: 1, startTime: '09:00', endTime: '12:00' }
  t.equal((await app.inject({ method: 'POST', url: `/providers/${provider.id}/availability-rules`, headers: bearer(other), payload: rule })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: `/providers/${provider.id}/availability-rules`, headers: bearer(admin), payload: rule })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: `/providers/${provider.id}/availability-rules`, headers: bearer(staff), payload: rule })).statusCode, 201)
  t.equal((await app.inject({ method: 'GET', url: `/providers/${provider.id}/calendar`, headers: bearer(staff) })).json().rules.length, 8)

  // Lists: a patient sees only their own; staff must name whose.
  const mine = await app.inject({ url: '/appointments', headers: bearer(pat2) })
  t.same(mine.json().appointments, [])
  t.equal((await app.inject({ url: '/appointments', headers: bearer(staff) })).statusCode, 400)
  t.equal((await app.inject({ url: `/appointments?providerId=${provider.id}`, headers: bearer(staff) })).json().appointments.length, 1)
})

t.test('bad input is a 4xx JSON error, never a 500', async (t) => {
  const { app } = await buildTestApp(t)
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const pat = await createTestUser(app, 'patient')
  const cases: Array<[string, string, object | undefined, number]> = [
    ['POST', '/appointments', { providerId: provider.id, visitTypeId, startsAt: 'tomorrow' }, 400],
    ['POST', '/appointments', { providerId: provider.id, visitTypeId, startsAt: dayAt(2, 10).toISOString(), extra: 1 }, 400],
    ['POST', '/appointments', { providerId: 'nope', visitTypeId, startsAt: dayAt(2, 10).toISOString() }, 400],
    ['POST', '/appointments', { providerId: provider.id, visitTypeId: provider.id, startsAt: dayAt(2, 10).toISOString() }, 422],
    ['GET', '/slots?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z', undefined, 400],
    ['GET', '/slots?from=2030-01-01T00:00:00Z&to=2030-06-01T00:00:00Z', undefined, 400],
    ['GET', '/slots?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z&cursor=abc', undefined, 400],
    ['GET', '/slots?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z&bogus=1', undefined, 400],
    ['POST', `/appointments/${provider.id}/cancel`, {}, 404],
    ['POST', '/appointments/not-a-uuid/cancel', {}, 400]
  ]
  for (const [method, url, payload, code] of cases) {
    const res = await app.inject({ method: method as 'GET', url, headers: bearer(pat), payload })
    t.equal(res.statusCode, code, `${method} ${url}`)
    t.match(res.json(), { statusCode: code, error: String, message: String })
  }
  const zone = await app.inject({ method: 'PUT', url: `/providers/${provider.id}/calendar`, headers: bearer(provider), payload: { timeZone: 'Mars/Olympus', specialty: null } })
  t.equal(zone.statusCode, 422)
})
