// Rotating the blind-index key: look-ups keep working at every step (old and
// new key both match until the stored indexes are recomputed), a taken email
// stays taken, and after `keys index-rotate` nothing depends on the old key.
import t from 'tap'
import { readKeyringFile } from '../../core/crypto/keyring.js'
import { findByEmail, insertUser } from '../../server/auth/accounts.js'
import { erasePatient } from '../../server/phi/erase.js'
import { findPatients } from '../../server/phi/patients.js'
import { npiTaken, saveProviderProfile } from '../../server/phi/providers.js'
import { createTestUser } from '../helpers/users.js'
import { buildFileKeyedApp, runCli, sampleProfile } from './helpers.js'
import { bearer } from '../helpers/users.js'

const indexes = async (app: Awaited<ReturnType<typeof buildFileKeyedApp>>['app']) => {
  const { rows } = await app.db.query<{ v: string }>(
    `SELECT encode(email_index, 'hex') AS v FROM users
     UNION ALL SELECT encode(phone_index, 'hex') FROM patient_profiles WHERE phone_index IS NOT NULL
     UNION ALL SELECT encode(email_index, 'hex') FROM patient_profiles WHERE email_index IS NOT NULL
     UNION ALL SELECT encode(npi_index, 'hex') FROM provider_profiles WHERE npi_index IS NOT NULL`)
  return new Set(rows.map((r) => r.v))
}

t.test('the blind-index key rotates while look-ups keep working', async (t) => {
  const { app, config, keyringFile } = await buildFileKeyedApp(t)
  const patients: Array<{ user: Awaited<ReturnType<typeof createTestUser>>; profile: ReturnType<typeof sampleProfile> }> = []
  for (let i = 0; i < 5; i++) {
    const p = await createTestUser(app, 'patient')
    const profile = sampleProfile()
    t.equal((await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(p), payload: profile })).statusCode, 200)
    patients.push({ user: p, profile })
  }
  const provider = await createTestUser(app, 'provider')
  await saveProviderProfile(app.phiVault, app.db, provider.id, { name: { family: 'Npi', given: ['Test'] }, credentials: ['MD'], specialties: [], npi: '1234567893' })
  const erased = await createTestUser(app, 'patient')
  await app.db.transaction((tx) => erasePatient(app.phiVault, tx, erased.id, provider.id))

  const lookups = async (when: string) => {
    for (const { user, profile } of patients) {
      t.equal((await findByEmail(app.db, app.phi, user.email))?.id, user.id, `${when}: sign-in email found`)
      t.same(await findPatients(app.phiVault, app.db, { phone: profile.phone }), [user.id], `${when}: patient found by phone`)
      t.same(await findPatients(app.phiVault, app.db, { email: profile.email }), [user.id], `${when}: patient found by email`)
    }
    t.equal(await npiTaken(app.phiVault, app.db, '1234567893', patients[0].user.id), true, `${when}: NPI still taken`)
    t.equal(await insertUser(app.db, app.phi, { role: 'patient', email: patients[0].user.email, passwordHash: null }), null, `${when}: a taken email stays taken`)
  }
  await lookups('before')
  const before = await indexes(app)

  const fresh = await runCli(config, 'keys index-new')
  t.equal(fresh.code, 0, fresh.err)
  t.equal(readKeyringFile(keyringFile).retiredIndexKeys?.length, 1)
  await new Promise((r) => setTimeout(r, 1100)) // running servers re-read the keyring at most once a second
  await lookups('new key active, indexes not yet recomputed')
  t.match((await runCli(config, 'keys status')).out, /1 retired key/)

  const rotated = await runCli(config, 'keys index-rotate', ['--batch', '2'])
  t.equal(rotated.code, 0, rotated.err)
  t.match(rotated.out, /retired index keys removed/)
  t.same(readKeyringFile(keyringFile).retiredIndexKeys, [])
  const after = await indexes(app)
  t.equal([...after].filter((v) => before.has(v)).length, 0, 'no stored index is under the old key any more')
  t.equal(after.size, before.size)
  await new Promise((r) => setTimeout(r, 1100))
  await lookups('after rotation, old key gone')

  const again = await runCli(config, 'keys index-rotate')
  t.equal(again.code, 0)
  t.match(again.out, /0 recomputed/, 'a second run has nothing to do')
})
