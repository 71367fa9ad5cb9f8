import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { createVerifiedProvider, sampleProfile, seedAppointment } from './helpers.js'

t.test('patient writes and reads own profile; care relationships decide who else may', async (t) => {
  const { app } = await buildTestApp(t)
  const patient = await createTestUser(app, 'patient')
  const provider = await createVerifiedProvider(app)
  const otherProvider = await createVerifiedProvider(app)
  const staff = await createTestUser(app, 'staff')
  const otherStaff = await createTestUser(app, 'staff')
  const admin = await createTestUser(app, 'admin')
  const profile = sampleProfile()

  const put = await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: profile })
  t.equal(put.statusCode, 200, put.body)
  t.same(put.json().legalName, profile.legalName)
  const me = await app.inject({ url: '/records/patients/me', headers: bearer(patient) })
  t.equal(me.statusCode, 200)
  t.equal(me.json().phone, profile.phone)

  const url = `/records/patients/${patient.id}`
  t.equal((await app.inject({ url, headers: bearer(provider) })).statusCode, 403, 'no appointment yet: 403')
  await seedAppointment(app, patient.id, provider.id, { bookedBy: staff.id })
  const seen = await app.inject({ url, headers: bearer(provider) })
  t.equal(seen.statusCode, 200, 'provider with an appointment reads the record')
  t.equal(seen.json().email, profile.email)
  t.equal((await app.inject({ url, headers: bearer(staff) })).statusCode, 200, 'staff who booked the visit reads it')
  const denied = await app.inject({ url, headers: bearer(otherProvider) })
  t.equal(denied.statusCode, 403)
  t.match(denied.json(), { statusCode: 403, error: 'Forbidden', code: 'BDS_ERR_NO_CARE_RELATIONSHIP' })
  t.equal((await app.inject({ url, headers: bearer(otherStaff) })).statusCode, 403)
  t.equal((await app.inject({ url, headers: bearer(admin) })).statusCode, 403, 'admins do not read clinical PHI')
  t.equal((await app.inject({ url: '/records/patients/me', headers: bearer(provider) })).statusCode, 403)

  // An appointment with a provider whose verification is missing or revoked opens nothing.
  const unverified = await createTestUser(app, 'provider')
  await seedAppointment(app, patient.id, unverified.id, { daysFromNow: 5 })
  const nv = await app.inject({ url, headers: bearer(unverified) })
  t.equal(nv.statusCode, 403)
  t.equal(nv.json().code, 'BDS_ERR_PROVIDER_NOT_VERIFIED')
  await app.db.query(`UPDATE provider_profiles SET verification_status = 'revoked' WHERE id = $1`, [provider.id])
  t.equal((await app.inject({ url, headers: bearer(provider) })).statusCode, 403, 'revoked: closed again')
  await app.db.query(`UPDATE provider_profiles SET verification_status = 'verified' WHERE id = $1`, [provider.id])

  // A cancelled appointment is no care relationship.
  const past = await createVerifiedProvider(app)
  await seedAppointment(app, patient.id, past.id, { status: 'cancelled', daysFromNow: 3 })
  t.equal((await app.inject({ url, headers: bearer(past) })).statusCode, 403)

  const audit = await app.db.query<{ action: string; outcome: string; actor_id: string; details: Record<string, unknown> }>(
    `SELECT action, outcome, actor_id, details FROM audit_log WHERE target_id = $1 ORDER BY seq`, [patient.id])
  const reads = audit.rows.filter((r) => r.action === 'phi.read' && r.outcome === 'success')
  t.ok(reads.some((r) => r.actor_id === provider.id && (r.details.fields as string[]).includes('phone') && r.details.purpose === 'treatment'),
    'provider read audited with fields and purpose')
  t.ok(audit.rows.some((r) => r.action === 'phi.read' && r.outcome === 'denied' && r.actor_id === otherProvider.id), 'denial audited')
  t.ok(audit.rows.some((r) => r.action === 'phi.change' && r.actor_id === patient.id), 'change audited')
  t.notMatch(JSON.stringify(audit.rows), new RegExp(profile.legalName.family), 'no values in the audit log')

  // Search by phone: blind index, filtered to the caller's care.
  const search = await app.inject({ method: 'POST', url: '/records/patients/search', headers: bearer(provider), payload: { phone: profile.phone } })
  t.equal(search.statusCode, 200)
  t.same(search.json().results.map((r: { id: string }) => r.id), [patient.id])
  const search2 = await app.inject({ method: 'POST', url: '/records/patients/search', headers: bearer(otherProvider), payload: { phone: profile.phone } })
  t.same(search2.json().results, [], 'not in care: not found')
  const bad = await app.inject({ method: 'POST', url: '/records/patients/search', headers: bearer(provider), payload: { phone: profile.phone, extra: 1 } })
  t.equal(bad.statusCode, 400)
})

t.test('input is validated: extra fields and bad dates are 400 without echoing values', async (t) => {
  const { app } = await buildTestApp(t)
  const patient = await createTestUser(app, 'patient')
  const p = sampleProfile()
  const extra = await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: { ...p, ssn: '123-45-6789' } })
  t.equal(extra.statusCode, 400)
  const date = await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: { ...p, birthDate: '1971-13-40' } })
  t.equal(date.statusCode, 400)
  t.notMatch(date.body, /Zyxfamily|1971-13-40/)
  const none = await app.inject({ url: '/records/patients/me', headers: bearer(patient) })
  t.equal(none.statusCode, 404)
})
