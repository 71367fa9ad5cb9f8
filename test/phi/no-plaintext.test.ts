import { execFileSync } from 'node:child_process'
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { createVerifiedProvider, sampleProfile, secretsOf, seedAppointment } from './helpers.js'

// Seeds PHI through the API, then looks for every seeded value in a full dump
// of the database, in the captured logs and in every error body.
t.test('no seeded PHI appears in plaintext in the database, the logs or error bodies', async (t) => {
  const { app, logs, databaseUrl } = await buildTestApp(t)
  const provider = await createVerifiedProvider(app)
  const staff = await createTestUser(app, 'staff')
  const admin = await createTestUser(app, 'admin')
  const secrets: string[] = []
  const bodies: string[] = []
  const send = async (o: InjectOptions) => {
    const res = await app.inject(o)
    if (res.statusCode >= 400) bodies.push(res.body)
    return res
  }

  for (let i = 0; i < 3; i++) {
    const patient = await createTestUser(app, 'patient', { email: `signin.${i}.${provider.id.slice(0, 6)}@mail.example` })
    secrets.push(patient.email)
    const p = sampleProfile()
    secrets.push(...secretsOf(p))
    t.equal((await send({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: p })).statusCode, 200)
    await seedAppointment(app, patient.id, provider.id, { bookedBy: staff.id })
    t.equal((await send({ url: `/records/patients/${patient.id}`, headers: bearer(provider) })).statusCode, 200)
    t.equal((await send({ method: 'POST', url: '/records/patients/search', headers: bearer(staff), payload: { phone: p.phone } })).statusCode, 200)
    t.equal((await send({ url: '/records/patients/me/export', headers: bearer(patient) })).statusCode, 200)
    // Error paths carrying PHI in the request.
    await send({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: { ...p, birthDate: 'not a date' } })
    await send({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: { ...p, unexpected: p.legalName.family } })
    await send({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: `{"legalName": "${p.legalName.family}` })
    await send({ method: 'POST', url: '/records/patients/search', headers: bearer(staff), payload: { phone: p.phone, email: p.email } })
    await send({ url: `/records/patients/${patient.id}`, headers: bearer(admin) })
    const reason = `Emergency reason mentioning ${p.legalName.family}`
    secrets.push(reason)
    const other = await createTestUser(app, 'staff')
    t.equal((await send({ method: 'POST', url: `/records/patients/${patient.id}/break-glass`, headers: bearer(other), payload: { reason } })).statusCode, 201)
  }
  const npi = '1234567893'
  const licence = 'LIC-ZQX-99812'
  const providerFamily = 'Provfamilyqq'
  secrets.push(npi, licence, providerFamily)
  t.equal((await send({ method: 'PUT', url: '/records/providers/me', headers: bearer(provider),
    payload: { name: { family: providerFamily, given: ['Ann'] }, credentials: ['MD'], specialties: ['Cardiology'], npi, licence: { number: licence, jurisdiction: 'Oregon' } } })).statusCode, 200)
  const note = 'Checked passport of Provfamilyqq in person'
  secrets.push(note)
  t.equal((await send({ method: 'POST', url: `/records/providers/${provider.id}/verification`, headers: bearer(admin),
    payload: { outcome: 'verified', checks: [{ kind: 'identity-document', result: 'pass' }, { kind: 'npi-registry', result: 'pass' }], note } })).statusCode, 201)
  await send({ method: 'PUT', url: '/records/providers/me', headers: bearer(provider), payload: { name: { family: providerFamily, given: ['Ann'] }, npi: 'x' + npi } })

  const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', databaseUrl], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  t.ok(dump.includes('COPY public.patient_profiles'), 'the dump holds the profiles')
  const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex')
  const lowerDump = dump.toLowerCase()
  const errorText = bodies.join('\n')
  const logText = logs.join('')
  t.ok(bodies.length >= 12, `${bodies.length} error bodies checked`)
  t.ok(logText.length > 1000, 'logs were captured')
  for (const s of secrets) {
    t.notOk(lowerDump.includes(s.toLowerCase()), `database dump: no plaintext ${s.slice(0, 3)}…`)
    t.notOk(lowerDump.includes(hex(s)), `database dump: no hex-encoded ${s.slice(0, 3)}…`)
    t.notOk(logText.includes(s), `logs: no ${s.slice(0, 3)}…`)
    t.notOk(errorText.includes(s), `error bodies: no ${s.slice(0, 3)}…`)
  }
})
