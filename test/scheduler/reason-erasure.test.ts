// A visit's reason is sealed with the patient's own data key: erasing the
// patient (crypto-shredding) makes every copy unreadable, backups included,
// and the appointment still answers, without the reason.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { bookBody, dayAt, providerWithCalendar } from './helpers.js'

t.test('erasing a patient shreds their visit reasons, backups included', async (t) => {
  const { app } = await buildTestApp(t)
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const patient = await createTestUser(app, 'patient')
  const admin = await createTestUser(app, 'admin')
  const booked = await app.inject({
    method: 'POST', url: '/appointments', headers: bearer(patient),
    payload: bookBody(provider.id, visitTypeId, dayAt(3, 10), { reason: 'Chest pain REASON-MARKER' })
  })
  t.equal(booked.statusCode, 201)
  const id = booked.json().id as string
  t.equal((await app.inject({ url: `/appointments/${id}`, headers: bearer(provider) })).json().reason, 'Chest pain REASON-MARKER')

  const backup = (await app.db.query<{ reason_sealed: Buffer }>('SELECT reason_sealed FROM appointments WHERE id = $1', [id])).rows[0].reason_sealed
  const key = (await app.db.query<{ id: string }>('SELECT id FROM phi_data_keys WHERE subject_id = $1', [patient.id])).rows[0].id
  t.equal(app.phi.dataKeyIdOf(Buffer.from(backup)), key, 'sealed with the patient\'s data key, not a key of its own')

  await app.phiVault.shred(patient.id, admin.id, app.db)
  await t.rejects(app.phiVault.open(Buffer.from(backup), { table: 'appointments', column: 'reason', row: id }), 'a backup copy no longer opens')
  const after = await app.inject({ url: `/appointments/${id}`, headers: bearer(provider) })
  t.equal(after.statusCode, 200, 'the appointment still answers')
  t.equal(after.json().reason, undefined, 'without the reason')
})

t.test('a provider whose verification was revoked keeps the appointment but no longer reads its reason', async (t) => {
  const { app } = await buildTestApp(t)
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const patient = await createTestUser(app, 'patient')
  const booked = await app.inject({
    method: 'POST', url: '/appointments', headers: bearer(patient),
    payload: bookBody(provider.id, visitTypeId, dayAt(3, 10), { reason: 'Chest pain REASON-MARKER' })
  })
  const id = booked.json().id as string
  await app.db.query(`UPDATE provider_profiles SET verification_status = 'revoked' WHERE id = $1`, [provider.id])
  const res = await app.inject({ url: `/appointments/${id}`, headers: bearer(provider) })
  t.equal(res.statusCode, 200, 'the appointment still answers')
  t.notOk('reason' in res.json(), 'without the reason')
  t.equal((await app.inject({ url: `/appointments/${id}`, headers: bearer(patient) })).json().reason, 'Chest pain REASON-MARKER', 'the patient still reads it')
})
