import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { createVerifiedProvider, sampleProfile, seedAppointment } from './helpers.js'

const alerts = async (app: Awaited<ReturnType<typeof buildTestApp>>['app'], action: string) =>
  (await app.db.query<{ actor_id: string; target_id: string; details: Record<string, unknown> }>(
    `SELECT actor_id, target_id, details FROM audit_log WHERE action = $1 AND outcome = 'alert' ORDER BY seq`, [action])).rows

t.test('break-glass: a reason opens the record for a while; audited and raised to admins', async (t) => {
  const { app } = await buildTestApp(t)
  const patient = await createTestUser(app, 'patient')
  const staff = await createTestUser(app, 'staff')
  const admin = await createTestUser(app, 'admin')
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: sampleProfile() })
  const url = `/records/patients/${patient.id}`
  t.equal((await app.inject({ url, headers: bearer(staff) })).statusCode, 403)
  const short = await app.inject({ method: 'POST', url: `${url}/break-glass`, headers: bearer(staff), payload: { reason: 'because' } })
  t.equal(short.statusCode, 400, 'a reason is required')
  const reason = 'Unconscious patient in ED, confirming allergies'
  const grant = await app.inject({ method: 'POST', url: `${url}/break-glass`, headers: bearer(staff), payload: { reason } })
  t.equal(grant.statusCode, 201, grant.body)
  const read = await app.inject({ url, headers: bearer(staff) })
  t.equal(read.statusCode, 200)
  const bg = await alerts(app, 'phi.break_glass')
  t.equal(bg.length, 1)
  t.equal(bg[0].actor_id, staff.id)
  t.equal(bg[0].target_id, patient.id)
  const readAudit = await app.db.query<{ details: Record<string, unknown> }>(
    `SELECT details FROM audit_log WHERE action = 'phi.read' AND outcome = 'success' AND actor_id = $1`, [staff.id])
  t.match(readAudit.rows[0].details, { purpose: 'break-glass', via: 'break-glass', breakGlassGrant: grant.json().grantId })
  const outbox = await app.db.query(`SELECT template FROM outbox WHERE user_id = $1`, [admin.id])
  t.same(outbox.rows.map((r) => r.template), ['phi-break-glass'], 'admins notified')
  const all = await app.db.query(`SELECT * FROM audit_log`)
  t.notMatch(JSON.stringify(all.rows), /Unconscious|allergies/, 'the reason is not in the audit log in plaintext')
  const list = await app.inject({ url: '/records/alerts', headers: bearer(admin) })
  t.equal(list.json().alerts[0].action, 'phi.break_glass')
  t.equal((await app.inject({ url: '/records/alerts', headers: bearer(staff) })).statusCode, 403)
  // Expired grants open nothing.
  await app.db.query(`UPDATE break_glass_grants SET expires_at = now() - interval '1 second'`)
  t.equal((await app.inject({ url, headers: bearer(staff) })).statusCode, 403)
})

t.test('reading more distinct patients than the threshold raises one alert', async (t) => {
  const { app } = await buildTestApp(t, { PHI_ACCESS_ALERT_THRESHOLD: '3' })
  const provider = await createVerifiedProvider(app)
  const admin = await createTestUser(app, 'admin')
  for (let i = 0; i < 5; i++) {
    const p = await createTestUser(app, 'patient')
    await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(p), payload: sampleProfile() })
    await seedAppointment(app, p.id, provider.id)
    t.equal((await app.inject({ url: `/records/patients/${p.id}`, headers: bearer(provider) })).statusCode, 200)
    t.equal((await alerts(app, 'phi.unusual_access')).length, i >= 3 ? 1 : 0, `after ${i + 1} patients`)
  }
  const a = await alerts(app, 'phi.unusual_access')
  t.match(a[0], { actor_id: provider.id, details: { distinctPatients: 4, threshold: 3 } })
  const outbox = await app.db.query(`SELECT template, params FROM outbox WHERE user_id = $1`, [admin.id])
  t.equal(outbox.rows[0].template, 'phi-unusual-access')
})

t.test('a patient exports their own record as FHIR R4; the export is audited', async (t) => {
  const { app } = await buildTestApp(t)
  const patient = await createTestUser(app, 'patient')
  const provider = await createVerifiedProvider(app)
  const profile = sampleProfile()
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: profile })
  await app.inject({ method: 'PUT', url: '/records/providers/me', headers: bearer(provider), payload: { name: { family: 'Osler', given: ['William'] }, credentials: ['MD'], specialties: ['Internal medicine'] } })
  const appt = await seedAppointment(app, patient.id, provider.id)
  const res = await app.inject({ url: '/records/patients/me/export', headers: bearer(patient) })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.headers['content-type'], /application\/fhir\+json/)
  const bundle = res.json()
  t.equal(bundle.resourceType, 'Bundle')
  const pat = bundle.entry[0].resource
  t.match(pat, {
    resourceType: 'Patient',
    id: patient.id,
    identifier: [{ value: patient.id }],
    name: [{ use: 'official', family: profile.legalName.family, given: profile.legalName.given }, { use: 'usual' }],
    telecom: [{ system: 'phone', value: profile.phone }, { system: 'email', value: profile.email }],
    gender: 'female',
    birthDate: '1971-03-14',
    address: [{ line: profile.address.line, city: profile.address.city, postalCode: '97201', country: 'US' }],
    contact: [{ name: { text: profile.emergencyContact.name }, telecom: [{ system: 'phone', value: profile.emergencyContact.phone }] }],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es-MX' }] }, preferred: true }]
  })
  for (const [k, v] of Object.entries(pat)) {
    t.ok(!(Array.isArray(v) && v.length === 0), `${k} is not an empty array (FHIR forbids them)`)
  }
  const ap = bundle.entry[1].resource
  t.match(ap, { resourceType: 'Appointment', id: appt, status: 'booked', participant: [{ actor: { reference: `Patient/${patient.id}` } }, { actor: { reference: `Practitioner/${provider.id}`, display: 'William Osler' } }] })
  const audit = await app.db.query<{ details: { fields: string[] } }>(`SELECT details FROM audit_log WHERE action = 'phi.export' AND actor_id = $1`, [patient.id])
  t.equal(audit.rows.length, 1)
  t.ok(audit.rows[0].details.fields.includes('appointments'))
  t.equal((await app.inject({ url: '/records/patients/me/export', headers: bearer(provider) })).statusCode, 403)
})

t.test('a ciphertext swapped to another row is rejected with a clear error and an alert', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const a = await createTestUser(app, 'patient')
  const b = await createTestUser(app, 'patient')
  await createTestUser(app, 'admin')
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(a), payload: sampleProfile() })
  const pb = sampleProfile()
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(b), payload: pb })
  await app.db.query(`UPDATE patient_profiles SET phone_sealed = (SELECT phone_sealed FROM patient_profiles WHERE id = $1) WHERE id = $2`, [a.id, b.id])
  const res = await app.inject({ url: '/records/patients/me', headers: bearer(b) })
  t.equal(res.statusCode, 422)
  t.match(res.json(), { statusCode: 422, code: 'BDS_ERR_PHI_UNDECRYPTABLE', message: /field phone/ })
  const al = await alerts(app, 'phi.undecryptable')
  t.match(al[0], { target_id: b.id, details: { table: 'patient_profiles', column: 'phone' } })
  // The same within one row: a column moved to another column.
  await app.db.query(`UPDATE patient_profiles SET email_sealed = preferred_name_sealed WHERE id = $1`, [a.id])
  t.equal((await app.inject({ url: '/records/patients/me', headers: bearer(a) })).statusCode, 422)
  t.notMatch(logs.join(''), new RegExp(pb.legalName.family))
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'server still up')
})

t.test('crypto-shredding: an admin erases a patient; what remains cannot be read', async (t) => {
  const { app } = await buildTestApp(t, { PHI_RETENTION_DAYS: '30' })
  const patient = await createTestUser(app, 'patient')
  const provider = await createVerifiedProvider(app)
  const admin = await createTestUser(app, 'admin')
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: sampleProfile() })
  await seedAppointment(app, patient.id, provider.id, { daysFromNow: -10 })
  const url = `/records/patients/${patient.id}/erase`
  const mismatch = await app.inject({ method: 'POST', url, headers: bearer(admin), payload: { confirmPatientId: provider.id, basis: 'patient-request' } })
  t.equal(mismatch.statusCode, 400)
  const held = await app.inject({ method: 'POST', url, headers: bearer(admin), payload: { confirmPatientId: patient.id, basis: 'patient-request' } })
  t.equal(held.statusCode, 409, 'retention rules hold the record')
  t.match(held.json().code, 'BDS_ERR_RETENTION_HOLD')
  t.equal((await app.inject({ method: 'POST', url, headers: bearer(provider), payload: { confirmPatientId: patient.id, basis: 'patient-request' } })).statusCode, 403)

  await app.db.query(`UPDATE appointments SET starts_at = starts_at - interval '60 days', ends_at = ends_at - interval '60 days',
    busy_from = busy_from - interval '60 days', busy_until = busy_until - interval '60 days' WHERE patient_id = $1`, [patient.id])
  // PHI other features stored about this patient without the patient's key.
  await app.db.query(`UPDATE appointments SET reason_sealed = $2 WHERE patient_id = $1`, [patient.id, app.phi.seal('chest pain', { table: 'appointments', column: 'reason', row: 'x' })])
  await app.db.query(`INSERT INTO outbox (user_id, channel, to_sealed, template) VALUES ($1, 'email', $2, 'reminder')`, [patient.id, app.phi.seal('p@example.test', { table: 'outbox', column: 'to', row: 'x' })])
  const { rows: [before] } = await app.db.query<{ legal_name_sealed: Buffer }>('SELECT legal_name_sealed FROM patient_profiles WHERE id = $1', [patient.id])
  const erased = await app.inject({ method: 'POST', url, headers: bearer(admin), payload: { confirmPatientId: patient.id, basis: 'patient-request' } })
  t.equal(erased.statusCode, 200, erased.body)
  t.same(erased.json(), { patientId: patient.id, erased: true, keyDestroyed: true })

  t.equal((await app.db.query('SELECT 1 FROM appointments WHERE patient_id = $1 AND reason_sealed IS NOT NULL', [patient.id])).rows.length, 0, 'visit reasons gone')
  t.equal((await app.db.query('SELECT 1 FROM outbox WHERE user_id = $1', [patient.id])).rows.length, 0, 'messages to the patient gone')
  const key = await app.db.query('SELECT wrapped_key, destroyed_at, destroyed_by FROM phi_data_keys WHERE subject_id = $1', [patient.id])
  t.equal(key.rows[0].wrapped_key, null)
  t.equal(key.rows[0].destroyed_by, admin.id)
  const { rows: [after] } = await app.db.query<{ legal_name_sealed: Buffer }>('SELECT legal_name_sealed FROM patient_profiles WHERE id = $1', [patient.id])
  t.same(after.legal_name_sealed, before.legal_name_sealed, 'the ciphertext remains')
  app.phiVault.forget()
  const opened = await app.phiVault.open(after.legal_name_sealed, { table: 'patient_profiles', column: 'legal_name', row: patient.id })
    .then(() => 'opened', (e: { reason?: string }) => e.reason)
  t.equal(opened, 'shredded', 'the remaining ciphertext cannot be opened')
  t.equal((await app.inject({ url: `/records/patients/${patient.id}`, headers: bearer(provider) })).statusCode, 410)
  t.equal((await app.inject({ url: '/records/patients/me', headers: bearer(patient) })).statusCode, 401, 'the account is closed')
  const audit = await app.db.query(`SELECT actor_id FROM audit_log WHERE action = 'phi.erase' AND outcome = 'success' AND target_id = $1`, [patient.id])
  t.equal(audit.rows[0].actor_id, admin.id)
  const gb = await app.inject({ method: 'POST', url: `/records/patients/${patient.id}/break-glass`, headers: bearer(provider), payload: { reason: 'trying to read an erased patient' } })
  t.equal(gb.statusCode, 410, 'nothing new is sealed for an erased patient')
})
