import t from 'tap'
import { isProviderVerified } from '../../server/phi/providers.js'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'

const profile = { name: { family: 'Blackwell', given: ['Elizabeth'] }, credentials: ['MD'], specialties: ['Family medicine'], npi: '1234567893', licence: { number: 'MD-12345', jurisdiction: 'New York' } }
const goodChecks = [{ kind: 'identity-document', result: 'pass', reference: 'passport' }, { kind: 'licence-board', result: 'pass', reference: 'NY OP lookup 2026-12-01' }]

t.test('provider identity verification: recorded by an admin, required before booking, reset by identity changes', async (t) => {
  const { app } = await buildTestApp(t)
  const provider = await createTestUser(app, 'provider')
  const admin = await createTestUser(app, 'admin')
  const patient = await createTestUser(app, 'patient')
  const staff = await createTestUser(app, 'staff')

  t.equal(await isProviderVerified(app.db, provider.id), false, 'no profile: not verified')
  const put = await app.inject({ method: 'PUT', url: '/records/providers/me', headers: bearer(provider), payload: profile })
  t.equal(put.statusCode, 200, put.body)
  t.match(put.json(), { verification: 'unverified', npi: profile.npi })
  const card = `/records/providers/${provider.id}`
  t.equal((await app.inject({ url: card, headers: bearer(patient) })).statusCode, 404, 'patients do not see unverified providers')
  t.same((await app.inject({ url: card, headers: bearer(staff) })).json().verified, false)

  const vurl = `/records/providers/${provider.id}/verification`
  t.equal((await app.inject({ method: 'POST', url: vurl, headers: bearer(staff), payload: { outcome: 'verified', checks: goodChecks } })).statusCode, 403)
  const weak = await app.inject({ method: 'POST', url: vurl, headers: bearer(admin), payload: { outcome: 'verified', checks: [goodChecks[0]] } })
  t.equal(weak.statusCode, 422, 'identity alone is not enough')
  const ok = await app.inject({ method: 'POST', url: vurl, headers: bearer(admin), payload: { outcome: 'verified', checks: goodChecks, note: 'Seen on video, matched photo' } })
  t.equal(ok.statusCode, 201, ok.body)
  t.equal(await isProviderVerified(app.db, provider.id), true)
  const c = await app.inject({ url: card, headers: bearer(patient) })
  t.same(c.json(), { id: provider.id, name: profile.name, credentials: ['MD'], specialties: ['Family medicine'], verified: true })
  t.notMatch(c.body, /1234567893|MD-12345/, 'no NPI or licence on the public card')

  const hist = await app.inject({ url: vurl, headers: bearer(admin) })
  t.match(hist.json(), { status: 'verified', history: [{ outcome: 'verified', checkedBy: admin.id, note: 'Seen on video, matched photo', checks: goodChecks }] })

  // Same identity, new specialties: stays verified. New licence: back to unverified.
  await app.inject({ method: 'PUT', url: '/records/providers/me', headers: bearer(provider), payload: { ...profile, specialties: ['Family medicine', 'Geriatrics'] } })
  t.equal(await isProviderVerified(app.db, provider.id), true)
  const changed = await app.inject({ method: 'PUT', url: '/records/providers/me', headers: bearer(provider), payload: { ...profile, licence: { number: 'MD-99999', jurisdiction: 'New York' } } })
  t.equal(changed.json().verification, 'unverified')
  t.equal(await isProviderVerified(app.db, provider.id), false)

  const other = await createTestUser(app, 'provider')
  const dup = await app.inject({ method: 'PUT', url: '/records/providers/me', headers: bearer(other), payload: profile })
  t.equal(dup.statusCode, 409, 'an NPI belongs to one provider (found by blind index)')

  await app.inject({ method: 'POST', url: vurl, headers: bearer(admin), payload: { outcome: 'verified', checks: goodChecks } })
  await app.inject({ method: 'POST', url: vurl, headers: bearer(admin), payload: { outcome: 'revoked', checks: [{ kind: 'licence-board', result: 'fail' }] } })
  t.equal(await isProviderVerified(app.db, provider.id), false, 'revoked')
  const audit = await app.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'provider.verification' AND target_id = $1`, [provider.id])
  t.equal(audit.rows[0].n, 3)
  const noMfa = await createTestUser(app, 'provider', { mfa: false })
  t.equal((await app.inject({ url: '/records/providers/me', headers: bearer(noMfa) })).statusCode, 403, 'providers need MFA')
})
