import { randomUUID } from 'node:crypto'
import t from 'tap'
import { gcmSeal } from '../../core/crypto/gcm.js'
import { readKeyringFile } from '../../core/crypto/keyring.js'
import { createPhiCipher } from '../../core/crypto/phi.js'
import { keyringFromJson } from '../../core/crypto/keyring.js'
import { rotateAll } from '../../core/crypto/rotation.js'
import { bearer, createTestUser, type TestUser } from '../helpers/users.js'
import { buildFileKeyedApp, runCli, sampleProfile } from './helpers.js'

t.test('rotation under concurrent reads and writes loses nothing; the old key is removable only when unused', async (t) => {
  const { app, config, keyringFile } = await buildFileKeyedApp(t)
  const patients: TestUser[] = []
  const expected = new Map<string, string>()
  for (let i = 0; i < 24; i++) {
    const p = await createTestUser(app, 'patient')
    const res = await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(p), payload: { ...sampleProfile(), preferredName: 'v0' } })
    t.equal(res.statusCode, 200)
    patients.push(p)
    expected.set(p.id, 'v0')
  }
  // A value written by the first release (sealed straight with the KEK): rotation must re-encrypt it.
  const legacyId = randomUUID()
  const file = readKeyringFile(keyringFile)
  const aad = Buffer.from(`bedside:users:email:${legacyId}`)
  const legacy = Buffer.concat([Buffer.from([1, 2]), Buffer.from('k1'), gcmSeal(Buffer.from(file.keys.k1, 'base64'), Buffer.from('legacy@example.test'), aad)])
  await app.db.query(`INSERT INTO users (id, role, email_index, email_sealed) VALUES ($1, 'patient', $2, $3)`,
    [legacyId, app.phi.index('email', 'legacy@example.test'), legacy])

  // A table with no id column and a sealed column without the _sealed suffix: still found by the value's header.
  await app.db.query('CREATE TABLE rotation_misc (owner uuid, channel text, payload bytea, PRIMARY KEY (owner, channel))')
  const miscCtx = { table: 'rotation_misc', column: 'payload', row: 'x' }
  await app.db.query(`INSERT INTO rotation_misc VALUES ($1, 'sms', $2)`, [legacyId, app.phi.seal('+15550001111', miscCtx)])

  const blocked = await runCli(config, 'keys remove', ['k1'])
  t.equal(blocked.code, 2)
  t.match(blocked.err, /k1' is the active key/)

  const added = await runCli(config, 'keys new')
  t.equal(added.code, 0)
  t.match(added.out, /k2 is now the active PHI key/)
  await new Promise((r) => setTimeout(r, 1100)) // the server re-reads the keyring at most once a second
  t.equal(app.phi.activeKeyId, 'k2', 'the running server writes with the new key at once')

  const stillUsed = await runCli(config, 'keys remove', ['k1'])
  t.equal(stillUsed.code, 2)
  t.match(stillUsed.err, /cannot be removed: it still protects \d+ value\(s\).*phi_data_keys/)
  t.match(stillUsed.err, /rotation_misc\.payload=1/, 'found in a table with no id, by header')

  // Readers and writers run the whole time the rotation does.
  let running = true
  let writes = 0
  let reads = 0
  const failures: string[] = []
  const worker = async (w: number) => {
    let n = 0
    while (running) {
      const p = patients[w + 3 * (n++ % (patients.length / 3))]
      if (n % 2 === 0) {
        const value = `w${w}n${n}`
        const res = await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(p), payload: { ...sampleProfile(p.id.slice(0, 8)), preferredName: value } })
        if (res.statusCode !== 200) failures.push(`write ${res.statusCode}`)
        else { expected.set(p.id, value); writes++ }
      } else {
        const res = await app.inject({ url: '/records/patients/me', headers: bearer(p) })
        if (res.statusCode !== 200) failures.push(`read ${res.statusCode} ${res.body}`)
        else reads++
      }
    }
  }
  // Each worker owns distinct patients at a time, so "last write wins" is well defined per patient.
  const workers = [0, 1, 2].map(worker)
  const rotated = await runCli(config, 'keys rotate', ['--batch', '3'])
  running = false
  await Promise.all(workers)
  t.equal(rotated.code, 0, rotated.out + rotated.err)
  t.match(rotated.out, /phi_data_keys: \d+\/\d+/, 'shows progress')
  t.match(rotated.out, /users\.email_sealed: \d+\/\d+/)
  t.same(failures, [], 'no read or write failed during rotation')
  t.ok(writes > 5 && reads > 5, `traffic ran during rotation (${writes} writes, ${reads} reads)`)

  for (const p of patients) {
    const res = await app.inject({ url: '/records/patients/me', headers: bearer(p) })
    t.equal(res.json().preferredName, expected.get(p.id), 'last write survived')
  }
  const { rows } = await app.db.query<{ email_sealed: Buffer }>('SELECT email_sealed FROM users WHERE id = $1', [legacyId])
  t.equal(app.phi.keyIdOf(rows[0].email_sealed), 'k2', 'legacy value re-encrypted')
  t.equal(app.phi.open(rows[0].email_sealed, { table: 'users', column: 'email', row: legacyId }), 'legacy@example.test')

  const misc = await app.db.query<{ payload: Buffer }>('SELECT payload FROM rotation_misc')
  t.equal(app.phi.keyIdOf(misc.rows[0].payload), 'k2')
  t.equal(app.phi.open(misc.rows[0].payload, miscCtx), '+15550001111')

  const status = await runCli(config, 'keys status')
  t.match(status.out, /k1: 0 value/)
  t.match(status.out, /k2 \(active\): \d+ value/)
  const removed = await runCli(config, 'keys remove', ['k1'])
  t.equal(removed.code, 0, removed.err)
  t.match(removed.out, /removed: nothing referred to it/)
  t.same(Object.keys(readKeyringFile(keyringFile).keys), ['k2'])
  app.phiVault.forget()
  for (const p of patients.slice(0, 3)) {
    const res = await app.inject({ url: '/records/patients/me', headers: bearer(p) })
    t.equal(res.statusCode, 200, 'readable with k1 gone')
  }
})

t.test('an interrupted rotation resumes where it stopped', async (t) => {
  const { app, config } = await buildFileKeyedApp(t)
  for (let i = 0; i < 12; i++) {
    const p = await createTestUser(app, 'patient')
    await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(p), payload: sampleProfile() })
  }
  await runCli(config, 'keys new')
  const { readKeyringFile: read } = await import('../../core/crypto/keyring.js')
  const cipher = createPhiCipher(keyringFromJson(read(config.phi.keyringFile!)))
  const stop = new AbortController()
  const first = await rotateAll(app.db, cipher, { batchSize: 4, signal: stop.signal, onProgress: () => stop.abort() })
  t.ok(first.interrupted)
  t.ok(first.moved > 0 && first.remaining > 0, `moved ${first.moved}, ${first.remaining} left`)
  const again = await runCli(config, 'keys rotate', ['--batch', '4'])
  t.equal(again.code, 0)
  t.match(again.out, /done: \d+ value\(s\) moved to k2; 0 still on older keys/)
})

t.test('keys init prints a keyring the server accepts', async (t) => {
  const { config } = await buildFileKeyedApp(t)
  const printed = await runCli(config, 'keys init')
  t.equal(printed.code, 0)
  const json = JSON.parse(printed.out) as Parameters<typeof keyringFromJson>[0]
  const cipher = createPhiCipher(keyringFromJson(json))
  const ctx = { table: 't', column: 'c', row: 'r' }
  t.equal(cipher.open(cipher.seal('hello', ctx), ctx), 'hello', 'seals and opens')
  t.not(JSON.parse((await runCli(config, 'keys init')).out).indexKey, json.indexKey, 'fresh keys each time')
})
