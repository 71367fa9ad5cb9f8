import t from 'tap'
import { bearer, createTestUser } from '../../helpers/users.js'
import { auditRows, buildAuthApp, lastMessage, PASSPHRASE, post, signedUpPatient, signIn } from './helpers.js'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

t.test('unknown account and wrong password get the same answer in similar time', async (t) => {
  // Real OWASP parameters here: the dummy verification must cost what a real one does.
  const { app, logs } = await buildAuthApp(t, { PASSWORD_HASH_MEMORY: '19456', PASSWORD_HASH_ITERATIONS: '2', LOGIN_FREE_ATTEMPTS: '100', LOGIN_IP_FREE_ATTEMPTS: '1000', LOCKOUT_THRESHOLD: '100' })
  const email = 'known@example.test'
  await signedUpPatient(app, email)
  const time = async (body: object) => {
    const start = process.hrtime.bigint()
    const res = await post(app, '/auth/sign-in', body)
    return { res, ms: Number(process.hrtime.bigint() - start) / 1e6 }
  }
  const known: number[] = []
  const unknown: number[] = []
  let a, b
  for (let i = 0; i < 7; i++) {
    a = await time({ email, password: 'wrong password but long' })
    b = await time({ email: `nobody${i}@example.test`, password: 'wrong password but long' })
    known.push(a.ms)
    unknown.push(b.ms)
  }
  t.equal(a!.res.statusCode, 401)
  t.equal(b!.res.statusCode, 401)
  t.same(a!.res.json(), b!.res.json(), 'same body')
  t.equal(a!.res.json().code, 'BDS_ERR_SIGN_IN_FAILED')
  // Medians of interleaved runs; bounds wide enough for a loaded shared machine,
  // narrow enough that skipping the dummy hash (measured: ratio 0.19) fails.
  const ratio = median(unknown) / median(known)
  t.ok(ratio > 0.4 && ratio < 2.5, `median unknown ${median(unknown).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms (ratio ${ratio.toFixed(2)})`)
  const reasons = (await auditRows(app, 'auth.sign-in')).filter((r) => r.outcome === 'failure').map((r) => r.details.reason)
  t.ok(reasons.includes('unknown-account') && reasons.includes('wrong-password'), 'both audited, with reasons')
  t.notMatch(logs.join(''), /example\.test/, 'no email in logs')
  t.notMatch(logs.join(''), /wrong password but long/, 'no password in logs')
})

t.test('growing delays per account (known or not) and per IP', async (t) => {
  const { app } = await buildAuthApp(t, { LOGIN_FREE_ATTEMPTS: '3', LOGIN_IP_FREE_ATTEMPTS: '1000', LOCKOUT_THRESHOLD: '100' })
  const email = 'slow@example.test'
  await signedUpPatient(app, email)
  for (const target of [email, 'ghost@example.test']) {
    for (let i = 0; i < 3; i++) t.equal((await post(app, '/auth/sign-in', { email: target, password: 'nope nope nope nope' })).statusCode, 401)
    const fourth = await post(app, '/auth/sign-in', { email: target, password: 'nope nope nope nope' })
    t.equal(fourth.statusCode, 429, 'the 4th attempt must wait')
    t.equal(fourth.json().code, 'BDS_ERR_TOO_MANY_ATTEMPTS')
    t.equal(fourth.headers['retry-after'], '1')
  }
  // Even the right password waits: the delay is decided before the password is checked.
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).statusCode, 429)
  // The delay doubles: after the wait, one more failure means 2 s.
  await app.db.query("UPDATE auth_throttle SET last_failure_at = now() - interval '5 seconds'")
  t.equal((await post(app, '/auth/sign-in', { email, password: 'nope nope nope nope' })).statusCode, 401)
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).headers['retry-after'], '2')
  await app.db.query("UPDATE auth_throttle SET last_failure_at = now() - interval '5 seconds'")
  t.equal((await signIn(app, email)).status, 'signed-in', 'after the wait the right password works')
  const keys = await app.db.query<{ key: string }>('SELECT key FROM auth_throttle ORDER BY key')
  t.same(keys.rows.map((r) => r.key.split(':')[0]), ['acct', 'ip'], 'success cleared its account (the unknown one and the IP remain)')
  t.notOk(keys.rows.some((r) => r.key.includes('example')), 'throttle keys are blind indexes, not addresses')
  await app.db.query("UPDATE auth_throttle SET last_failure_at = now() - interval '2 hours'")
  await signIn(app, email)
  t.equal((await app.db.query('SELECT 1 FROM auth_throttle')).rowCount, 0, 'stale keys swept')
  t.ok((await auditRows(app, 'auth.sign-in')).some((r) => r.outcome === 'denied' && r.details.reason === 'throttled'))
})

t.test('per-IP delays across many accounts (credential stuffing)', async (t) => {
  const { app } = await buildAuthApp(t, { LOGIN_FREE_ATTEMPTS: '100', LOGIN_IP_FREE_ATTEMPTS: '4' })
  for (let i = 0; i < 4; i++) t.equal((await post(app, '/auth/sign-in', { email: `user${i}@example.test`, password: 'guess guess guess' })).statusCode, 401)
  const res = await post(app, '/auth/sign-in', { email: 'user99@example.test', password: 'guess guess guess' })
  t.equal(res.statusCode, 429)
  const other = await app.inject({ method: 'POST', url: '/auth/sign-in', payload: { email: 'user99@example.test', password: 'guess guess guess' }, remoteAddress: '10.9.8.7' })
  t.equal(other.statusCode, 401, 'another IP is not slowed')
})

t.test('lockout after LOCKOUT_THRESHOLD failures; audited unlock by an admin', async (t) => {
  const { app } = await buildAuthApp(t, { LOCKOUT_THRESHOLD: '3', LOGIN_FREE_ATTEMPTS: '100', LOGIN_IP_FREE_ATTEMPTS: '1000' })
  const email = 'locked@example.test'
  await signedUpPatient(app, email)
  const { rows } = await app.db.query<{ id: string }>('SELECT id FROM users')
  const userId = rows[0].id
  for (let i = 0; i < 3; i++) await post(app, '/auth/sign-in', { email, password: 'definitely not it' })
  const locked = await post(app, '/auth/sign-in', { email, password: PASSPHRASE })
  t.equal(locked.statusCode, 401, 'locked: even the right password fails')
  t.equal(locked.json().code, 'BDS_ERR_SIGN_IN_FAILED', 'with the same generic error')
  const lockouts = await auditRows(app, 'auth.lockout')
  t.equal(lockouts.length, 1)
  t.equal(lockouts[0].target_id, userId)
  t.equal(lockouts[0].outcome, 'alert')
  t.ok(await lastMessage(app, email, 'account-locked'), 'owner told by mail')

  const admin = await createTestUser(app, 'admin')
  const patient = await createTestUser(app, 'patient')
  const refused = await app.inject({ method: 'POST', url: `/admin/users/${userId}/unlock`, headers: bearer(patient), payload: {} })
  t.equal(refused.statusCode, 403)
  const nobody = await app.inject({ method: 'POST', url: '/admin/users/00000000-0000-4000-8000-000000000000/unlock', headers: bearer(admin), payload: {} })
  t.equal(nobody.statusCode, 404)
  const unlock = await app.inject({ method: 'POST', url: `/admin/users/${userId}/unlock`, headers: bearer(admin), payload: {} })
  t.equal(unlock.statusCode, 204)
  const audit = await auditRows(app, 'auth.unlock')
  t.equal(audit.length, 1)
  t.match(audit[0], { actor_id: admin.id, target_id: userId, outcome: 'success', details: { via: 'api', wasLocked: true } })
  t.equal((await signIn(app, email)).status, 'signed-in')
})

t.test('a lockout expires by itself after LOCKOUT_DURATION', async (t) => {
  const { app } = await buildAuthApp(t, { LOCKOUT_THRESHOLD: '3', LOGIN_FREE_ATTEMPTS: '100' })
  const email = 'wait@example.test'
  await signedUpPatient(app, email)
  for (let i = 0; i < 3; i++) await post(app, '/auth/sign-in', { email, password: 'definitely not it' })
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).statusCode, 401)
  await app.db.query("UPDATE users SET locked_until = now() - interval '1 second'")
  t.equal((await signIn(app, email)).status, 'signed-in')
  const { rows } = await app.db.query<{ failed_logins: number }>('SELECT failed_logins FROM users')
  t.equal(rows[0].failed_logins, 0, 'success resets the count')
})

t.test('a stolen session cannot guess the password through password change', async (t) => {
  const { app } = await buildAuthApp(t, { LOCKOUT_THRESHOLD: '3' })
  const email = 'guess@example.test'
  const s = await signedUpPatient(app, email)
  for (let i = 0; i < 3; i++) {
    const res = await post(app, '/auth/password', { currentPassword: `guess number ${i} of many`, newPassword: 'the thief wants this one' }, s.accessToken)
    t.equal(res.statusCode, 422)
  }
  t.equal((await auditRows(app, 'auth.lockout')).length, 1, 'guesses count towards lockout')
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).statusCode, 401)
})
