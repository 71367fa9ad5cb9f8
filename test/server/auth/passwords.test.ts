import argon2 from 'argon2'
import t from 'tap'
import { loadCommonPasswords } from '../../../server/auth/common-passwords.js'
import { OWASP_MIN, weakHashProblem } from '../../../server/auth/password-hasher.js'
import { passwordProblem } from '../../../server/auth/password-policy.js'
import { auditRows, buildAuthApp, PASSPHRASE, post, signedUpPatient, signIn } from './helpers.js'

t.test('policy: length, not composition; common list; MFA lowers the minimum', async (t) => {
  const common = loadCommonPasswords()
  t.ok(common.size > 30_000, `bundled list has ${common.size} entries`)
  const p = (pw: string, mfa = false) => passwordProblem(pw, { mfa, common })
  t.equal(p('a'.repeat(14) + 'b'), null, '15 characters, lowercase only: no composition rules')
  t.equal(p('abcdefghijklmn'), 'too-short', '14 characters without MFA')
  t.equal(p('pwd-8-ok'), 'too-short', '8 without MFA')
  t.equal(p('pw8-okay', true), null, '8 is enough with MFA')
  t.equal(p('short7!', true), 'too-short', '7 is not, even with MFA')
  t.equal(p('x'.repeat(128)), null, '128 accepted (NIST: at least 64)')
  t.equal(p('x'.repeat(129)), 'too-long')
  t.equal(p('ü'.repeat(15)), null, 'Unicode counts by code point')
  t.equal(p('🐴🔋📎🐴🔋📎🐴🔋'), 'too-short', '8 emoji are 8 characters, not 16 UTF-16 units')
  t.equal(p('123456789987654321'), 'common', 'long but breached')
  t.equal(p('1QAZ2WSX3EDC4RFV'), 'common', 'case does not get a breached password through')
  t.equal(p('password', true), 'common')
})

t.test('registration and invitation refuse weak passwords with 422, nothing stored', async (t) => {
  const { app } = await buildAuthApp(t)
  for (const password of ['fourteen chars', 'qazwsxedcrfvtgb', 'x'.repeat(129)]) {
    const res = await post(app, '/auth/register', { email: 'weak@example.test', password })
    t.equal(res.statusCode, 422, `refused: length ${password.length}`)
    t.equal(res.json().code, 'BDS_ERR_PASSWORD_POLICY')
    t.notMatch(res.body, password, 'password not echoed')
  }
  t.equal((await app.db.query('SELECT 1 FROM users')).rowCount, 0)
  const ok = await post(app, '/auth/register', { email: 'weak@example.test', password: 'fifteen chars!!' })
  t.equal(ok.statusCode, 202)
})

t.test('hashes are argon2id with the configured parameters and are upgraded at sign-in', async (t) => {
  const { app } = await buildAuthApp(t, { PASSWORD_HASH_MEMORY: '2048', PASSWORD_HASH_ITERATIONS: '2' })
  const email = 'rehash@example.test'
  await signedUpPatient(app, email)
  const hashOf = async () => (await app.db.query<{ h: string }>('SELECT password_hash AS h FROM users')).rows[0].h
  t.match(await hashOf(), /^\$argon2id\$v=19\$m=2048,p=1,t=2\$/, 'argon2id, configured parameters')

  // An older, weaker hash (as written before the parameters were raised).
  const old = await argon2.hash(PASSPHRASE, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 })
  await app.db.query('UPDATE users SET password_hash = $1', [old])
  t.equal((await signIn(app, email)).status, 'signed-in', 'old hash still verifies')
  const upgraded = await hashOf()
  t.not(upgraded, old)
  t.match(upgraded, /^\$argon2id\$v=19\$m=2048,p=1,t=2\$/, 'rehashed with today\'s parameters')
  t.ok(await argon2.verify(upgraded, PASSPHRASE))
  t.equal((await auditRows(app, 'auth.password-rehash')).length, 1)

  // An argon2i hash is upgraded to argon2id too.
  await app.db.query('UPDATE users SET password_hash = $1', [await argon2.hash(PASSPHRASE, { type: argon2.argon2i, memoryCost: 2048, timeCost: 2, parallelism: 1 })])
  await signIn(app, email)
  t.match(await hashOf(), /^\$argon2id\$/)

  // Current parameters: left alone.
  const before = await hashOf()
  await signIn(app, email)
  t.equal(await hashOf(), before, 'no rehash when parameters match')
  t.equal((await auditRows(app, 'auth.password-rehash')).length, 2)
})

t.test('changing the password checks the current one, applies the policy and ends other sessions', async (t) => {
  const { app } = await buildAuthApp(t)
  const email = 'change@example.test'
  const a = await signedUpPatient(app, email)
  const b = await signIn(app, email)
  const wrong = await post(app, '/auth/password', { currentPassword: 'not my password at all', newPassword: 'a brand new passphrase' }, a.accessToken)
  t.equal(wrong.statusCode, 422)
  const weak = await post(app, '/auth/password', { currentPassword: PASSPHRASE, newPassword: 'too short' }, a.accessToken)
  t.equal(weak.statusCode, 422)
  t.equal(weak.json().code, 'BDS_ERR_PASSWORD_POLICY')
  const ok = await post(app, '/auth/password', { currentPassword: PASSPHRASE, newPassword: 'a brand new passphrase' }, a.accessToken)
  t.equal(ok.statusCode, 204)
  t.equal((await post(app, '/auth/refresh', { refreshToken: b.refreshToken })).statusCode, 401, 'other device signed out')
  t.equal((await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${a.accessToken}` } })).statusCode, 200, 'this device stays')
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).statusCode, 401)
  t.equal((await signIn(app, email, 'a brand new passphrase')).status, 'signed-in')
})

t.test('production refuses argon2 parameters below the OWASP minimum', async (t) => {
  t.equal(weakHashProblem({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, false), null, 'allowed outside production (tests)')
  t.match(weakHashProblem({ memoryCost: 1024, timeCost: 2, parallelism: 1 }, true), /PASSWORD_HASH_MEMORY=1024.*refused in production/)
  t.match(weakHashProblem({ memoryCost: 19456, timeCost: 1, parallelism: 1 }, true), /PASSWORD_HASH_ITERATIONS=1/)
  t.equal(weakHashProblem(OWASP_MIN, true), null)
  t.equal(weakHashProblem({ memoryCost: 65536, timeCost: 3, parallelism: 2 }, true), null, 'stronger is fine')
})
