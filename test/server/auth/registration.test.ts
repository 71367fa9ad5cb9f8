import t from 'tap'
import { hashToken } from '../../../server/auth/secrets.js'
import { acceptAll, auditRows, buildAuthApp, lastMessage, PASSPHRASE, post, signIn } from './helpers.js'

t.test('a patient registers, verifies the email by a single-use link and signs in', async (t) => {
  const { app, logs } = await buildAuthApp(t)
  const email = 'Ada.Patient@Example.test'
  const reg = await post(app, '/auth/register', { email, password: PASSPHRASE })
  t.equal(reg.statusCode, 202)
  t.same(reg.json(), { status: 'check-your-email' })

  // The outbox holds a purpose and a sealed link: no address or token in the clear.
  const { rows } = await app.db.query<{ template: string; params: object; to_sealed: Buffer; user_id: string }>('SELECT * FROM outbox')
  t.equal(rows.length, 1)
  t.equal(rows[0].template, 'verify-email')
  t.notMatch(JSON.stringify(rows[0].params), /example\.test|#token=/i, 'params hold no address and no readable link')
  t.notMatch(rows[0].to_sealed.toString('latin1'), /example/i, 'address sealed')
  const msg = await lastMessage(app, 'ada.patient@example.test', 'verify-email')
  t.match(msg?.link, /^http:\/\/localhost:8080\/verify-email#token=[A-Za-z0-9_-]{43}$/, 'token travels in the fragment')

  // Stored only as a hash.
  const stored = await app.db.query<{ token_hash: Buffer }>('SELECT token_hash FROM auth_tokens')
  t.same(stored.rows[0].token_hash, hashToken(msg!.token!))
  const dump = await app.db.query<{ t: string }>('SELECT string_agg(t::text, \' \') AS t FROM (SELECT * FROM auth_tokens) t')
  t.notMatch(dump.rows[0].t, msg!.token!, 'no plaintext token in the table')

  const early = await post(app, '/auth/sign-in', { email, password: PASSPHRASE })
  t.equal(early.statusCode, 403)
  t.equal(early.json().code, 'BDS_ERR_EMAIL_UNVERIFIED')

  const ver = await post(app, '/auth/verify-email', { token: msg!.token })
  t.equal(ver.statusCode, 200)
  const again = await post(app, '/auth/verify-email', { token: msg!.token })
  t.equal(again.statusCode, 400, 'single use')
  t.equal(again.json().code, 'BDS_ERR_INVALID_LINK')

  const s = await signIn(app, 'ADA.patient@EXAMPLE.test', PASSPHRASE)
  t.equal(s.status, 'signed-in')
  t.equal(s.mfa, false)
  t.equal(s.mfaEnrolmentRequired, false, 'patients may use a long password alone')
  await acceptAll(app, s.accessToken)
  const me = await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${s.accessToken}` } })
  t.match(me.json(), { role: 'patient', emailVerified: true, mfaEnabled: false })

  const audited = await auditRows(app, 'auth.register')
  t.equal(audited[0].outcome, 'success')
  t.equal((await auditRows(app, 'auth.email-verified')).length, 1)
  const all = await app.db.query<{ d: string }>('SELECT string_agg(details::text, \' \') AS d FROM audit_log')
  t.notMatch(all.rows[0].d, /example\.test/i, 'no email in audit details')
  t.notMatch(logs.join(''), /example\.test/i, 'no email in logs')
  t.notMatch(logs.join(''), msg!.token!, 'no token in logs')
})

t.test('registering a taken address answers the same and tells the owner instead', async (t) => {
  const { app } = await buildAuthApp(t)
  const email = 'taken@example.test'
  const first = await post(app, '/auth/register', { email, password: PASSPHRASE })
  const second = await post(app, '/auth/register', { email, password: 'another long passphrase here' })
  t.equal(second.statusCode, first.statusCode)
  t.same(second.json(), first.json())
  t.ok(await lastMessage(app, email, 'registration-attempt'), 'owner notified')
  const users = await app.db.query('SELECT id FROM users')
  t.equal(users.rowCount, 1)
  // The first password still works, the second was not stored.
  await post(app, '/auth/verify-email', { token: (await lastMessage(app, email, 'verify-email'))!.token })
  t.equal((await signIn(app, email)).status, 'signed-in')
})

t.test('expired verification links and resending', async (t) => {
  const { app } = await buildAuthApp(t)
  const email = 'late@example.test'
  await post(app, '/auth/register', { email, password: PASSPHRASE })
  const old = await lastMessage(app, email, 'verify-email')
  await app.db.query("UPDATE auth_tokens SET expires_at = now() - interval '1 second'")
  t.equal((await post(app, '/auth/verify-email', { token: old!.token })).statusCode, 400, 'expired')

  const resend = await post(app, '/auth/verify-email/resend', { email })
  t.equal(resend.statusCode, 202)
  const unknown = await post(app, '/auth/verify-email/resend', { email: 'nobody@example.test' })
  t.same(unknown.json(), resend.json(), 'unknown address answers the same')
  const fresh = await lastMessage(app, email, 'verify-email')
  t.not(fresh!.token, old!.token)
  t.equal((await post(app, '/auth/verify-email', { token: fresh!.token })).statusCode, 200)
})

t.test('bodies are validated strictly', async (t) => {
  const { app } = await buildAuthApp(t)
  const extra = await post(app, '/auth/register', { email: 'x@example.test', password: PASSPHRASE, role: 'admin' })
  t.equal(extra.statusCode, 400, 'no extra properties (no self-chosen role)')
  t.match(extra.json(), { statusCode: 400, error: 'Bad Request' })
  const bad = await post(app, '/auth/register', { email: 'not-an-email', password: PASSPHRASE })
  t.equal(bad.statusCode, 400)
  t.notMatch(bad.body, /not-an-email/, 'input not echoed')
  t.equal((await post(app, '/auth/verify-email', { token: 'short' })).statusCode, 400)
  t.equal((await app.db.query('SELECT 1 FROM users')).rowCount, 0)
  const query = await app.inject({ method: 'POST', url: '/auth/sign-in?email=x@example.test', payload: { email: 'x@example.test', password: PASSPHRASE } })
  t.equal(query.statusCode, 400, 'query strings are refused, not ignored')
  t.notMatch(query.body, /example/)
})
