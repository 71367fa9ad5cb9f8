import t from 'tap'
import { auditRows, buildAuthApp, get, lastMessage, PASSPHRASE, post, signedUpPatient, signIn } from './helpers.js'

t.test('forgotten password: generic answer, single-use expiring link, policy, all sessions end', async (t) => {
  const { app, logs } = await buildAuthApp(t)
  const email = 'forgetful@example.test'
  const s = await signedUpPatient(app, email)

  const known = await post(app, '/auth/password/forgot', { email })
  const unknown = await post(app, '/auth/password/forgot', { email: 'stranger@example.test' })
  t.equal(known.statusCode, 202)
  t.same(unknown.json(), known.json(), 'unknown address answers the same')
  const msg = (await lastMessage(app, email, 'password-reset'))!
  t.match(msg.link, /\/reset-password#token=/)
  t.notOk(await lastMessage(app, 'stranger@example.test', 'password-reset'), 'nothing sent for an unknown address')

  const weak = await post(app, '/auth/password/reset', { token: msg.token, password: 'too short' })
  t.equal(weak.statusCode, 422, 'policy applies')
  const ok = await post(app, '/auth/password/reset', { token: msg.token, password: 'a fresh long passphrase' })
  t.equal(ok.statusCode, 200, 'a refused password did not burn the link')
  t.equal((await post(app, '/auth/password/reset', { token: msg.token, password: 'yet another passphrase' })).statusCode, 400, 'single use')

  t.equal((await get(app, '/auth/me', s.accessToken)).statusCode, 401, 'old sessions ended')
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).statusCode, 401, 'old password gone')
  t.equal((await signIn(app, email, 'a fresh long passphrase')).status, 'signed-in')

  await post(app, '/auth/password/forgot', { email })
  await app.db.query("UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'password-reset' AND used_at IS NULL")
  const late = await post(app, '/auth/password/reset', { token: (await lastMessage(app, email, 'password-reset'))!.token, password: 'late late late passphrase' })
  t.equal(late.statusCode, 400, 'expired')

  const audit = await auditRows(app, 'auth.password-reset')
  t.same(audit.map((r) => `${r.outcome}:${r.details.step}`), ['success:requested', 'failure:requested', 'success:completed', 'success:requested'])
  t.notMatch(logs.join(''), /example\.test/)
})

t.test('a reset does not bypass MFA', async (t) => {
  const { app } = await buildAuthApp(t)
  const email = 'mfa.reset@example.test'
  const s = await signedUpPatient(app, email)
  const enrol = await post(app, '/auth/mfa/enrol', {}, s.accessToken)
  const { currentCode } = await import('../../../server/auth/totp.js')
  const secret = new URL(enrol.json().otpauthUri).searchParams.get('secret')!
  await post(app, '/auth/mfa/confirm', { code: currentCode(secret) }, s.accessToken)
  await post(app, '/auth/password/forgot', { email })
  const token = (await lastMessage(app, email, 'password-reset'))!.token
  t.equal((await post(app, '/auth/password/reset', { token, password: 'eight ok' })).statusCode, 200, 'with MFA on, 8 characters are enough')
  t.equal((await signIn(app, email, 'eight ok')).status, 'mfa-required', 'the second factor is still asked for')
})
