import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import t from 'tap'
import { loadConfig } from '../../../config/load.js'
import { buildApp } from '../../../server/app.js'
import { createAdmin, unlock } from '../../../server/cli/admin.js'
import { createServices } from '../../../server/services.js'
import { testDb } from '../../helpers/db.js'
import { auditRows, LIGHT_HASH, PASSPHRASE, post, signIn } from './helpers.js'

t.test('create-admin prints a one-time invitation link; unlock lifts a lockout, audited', async (t) => {
  const databaseUrl = await testDb(t)
  const dataDir = mkdtempSync(join(tmpdir(), 'bedside-cli-'))
  const settings = { NODE_ENV: 'test', LOG_LEVEL: 'info', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ...LIGHT_HASH }
  const config = loadConfig({ env: {}, overrides: settings })
  const out: string[] = []
  const err: string[] = []
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }

  t.equal(await createAdmin.run(config, [], io), 64, 'usage without --email')
  t.equal(await createAdmin.run(config, ['--email', 'root@hospital.test'], io), 0)
  const link = out.find((l) => l.includes('#token='))!
  t.match(link, /^http:\/\/localhost:8080\/accept-invitation#token=[A-Za-z0-9_-]{43}$/)
  t.notMatch(out.join('\n'), /hospital\.test/, 'the address is not echoed')

  // The API, on the same database and the same (generated development) keys.
  const services = await createServices(config)
  const logs: string[] = []
  const app = await buildApp(services, { logStream: new Writable({ write (c, _e, cb) { logs.push(String(c)); cb() } }) })
  t.teardown(async () => { await app.close(); await services.close(); rmSync(dataDir, { recursive: true, force: true }) })
  await app.ready()

  t.equal((await post(app, '/auth/invitations/accept', { token: link.split('#token=')[1], password: PASSPHRASE })).statusCode, 200)
  const s = await signIn(app, 'root@hospital.test')
  t.equal(s.mfaEnrolmentRequired, true, 'the new admin must enrol MFA first')
  const beforeMfa = await app.inject({ method: 'POST', url: '/admin/invitations', headers: { authorization: `Bearer ${s.accessToken}` }, payload: { email: 'x@hospital.test', role: 'staff' } })
  t.equal(beforeMfa.statusCode, 403)
  t.equal(beforeMfa.json().code, 'BDS_ERR_MFA_REQUIRED', 'no admin work before MFA')
  t.equal(await createAdmin.run(config, ['--email', 'root@hospital.test'], io), 1, 'an account in use is not re-invited')
  t.match((await auditRows(app, 'invitation.create'))[0], { actor_id: null, details: { role: 'admin', via: 'cli' } })

  const { rows } = await app.db.query<{ id: string }>('SELECT id FROM users')
  await app.db.query("UPDATE users SET failed_logins = 10, locked_until = now() + interval '1 hour'")
  t.equal((await post(app, '/auth/sign-in', { email: 'root@hospital.test', password: PASSPHRASE })).statusCode, 401, 'locked')
  t.equal(await unlock.run(config, ['--user', 'nope'], io), 64)
  t.equal(await unlock.run(config, ['--user', '00000000-0000-4000-8000-000000000000'], io), 1)

  // Through the real command line once, to prove the registration in commands.ts.
  const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', 'server/cli.ts', 'unlock', '--user', rows[0].id], {
    env: { ...process.env, ...settings }, timeout: 60_000
  })
  t.match(stdout, new RegExp(`user ${rows[0].id} unlocked`))
  t.equal((await signIn(app, 'root@hospital.test')).status, 'signed-in')
  t.match((await auditRows(app, 'auth.unlock'))[0], { actor_id: null, target_id: rows[0].id, details: { via: 'cli', wasLocked: true } })
  t.notMatch(logs.join(''), /hospital\.test/)
})
