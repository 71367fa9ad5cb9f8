import argon2 from 'argon2'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { currentCode } from '../../../server/auth/totp.js'
import { bearer, createTestUser } from '../../helpers/users.js'
import { acceptAll, auditRows, buildAuthApp, get, lastMessage, PASSPHRASE, post, signIn } from './helpers.js'

const secretOf = (uri: string) => new URL(uri).searchParams.get('secret')!
const STEP = 30_000

/** An admin invites a provider, who accepts and signs in (no MFA yet). */
async function invitedProvider (app: FastifyInstance, email: string) {
  const admin = await createTestUser(app, 'admin')
  const inv = await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email, role: 'provider' } })
  if (inv.statusCode !== 201) throw new Error(inv.body)
  const token = (await lastMessage(app, email, 'invitation'))!.token!
  const acc = await post(app, '/auth/invitations/accept', { token, password: PASSPHRASE })
  if (acc.statusCode !== 200) throw new Error(acc.body)
  return { admin, userId: inv.json().userId as string, session: await signIn(app, email) }
}

t.test('invitation: admin only, single use, expiring, audited; accepting verifies the email', async (t) => {
  const { app, logs } = await buildAuthApp(t)
  const admin = await createTestUser(app, 'admin')
  const staff = await createTestUser(app, 'staff')
  const email = 'new.provider@example.test'
  const denied = await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(staff), payload: { email, role: 'provider' } })
  t.equal(denied.statusCode, 403)
  const patientRole = await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email, role: 'patient' } })
  t.equal(patientRole.statusCode, 400, 'patients register themselves')

  const inv = await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email, role: 'provider' } })
  t.equal(inv.statusCode, 201)
  t.notMatch(inv.body, /token|#/, 'the link goes to the invitee only')
  const first = (await lastMessage(app, email, 'invitation'))!
  t.match(first.link, /\/accept-invitation#token=/)

  // Re-inviting before acceptance replaces the link.
  await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email, role: 'staff' } })
  const second = (await lastMessage(app, email, 'invitation'))!
  t.equal((await post(app, '/auth/invitations/accept', { token: first.token, password: PASSPHRASE })).statusCode, 400, 'old link dead')

  const weak = await post(app, '/auth/invitations/accept', { token: second.token, password: 'short pass' })
  t.equal(weak.statusCode, 422, 'policy applies')
  const ok = await post(app, '/auth/invitations/accept', { token: second.token, password: PASSPHRASE })
  t.equal(ok.statusCode, 200, 'a refused password did not burn the link')
  t.equal((await post(app, '/auth/invitations/accept', { token: second.token, password: PASSPHRASE })).statusCode, 400, 'single use')

  const dup = await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email, role: 'provider' } })
  t.equal(dup.statusCode, 409, 'an account in use cannot be re-invited')

  const s = await signIn(app, email)
  t.equal(s.status, 'signed-in', 'accepting proved the mailbox')
  t.equal(s.mfa, false)
  t.equal(s.mfaEnrolmentRequired, true)
  const me = await get(app, '/auth/me', s.accessToken)
  t.match(me.json(), { role: 'staff', emailVerified: true, mfaEnabled: false })

  const expiring = 'late.staff@example.test'
  await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email: expiring, role: 'staff' } })
  await app.db.query("UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
  const late = await post(app, '/auth/invitations/accept', { token: (await lastMessage(app, expiring, 'invitation'))!.token, password: PASSPHRASE })
  t.equal(late.statusCode, 400, 'expired')

  const created = await auditRows(app, 'invitation.create')
  t.equal(created.length, 3)
  t.match(created[0], { actor_id: admin.id, details: { role: 'provider', via: 'api' } })
  t.equal((await auditRows(app, 'invitation.accept')).filter((r) => r.outcome === 'success').length, 1)
  t.notMatch(logs.join(''), /example\.test/)
})

t.test('MFA: required before PHI, enrolment with QR, confirmation, no replay, single-use recovery codes', async (t) => {
  const { app, logs } = await buildAuthApp(t)
  const email = 'doc@example.test'
  const { userId, session } = await invitedProvider(app, email)
  await acceptAll(app, session.accessToken)

  // Without MFA a provider reaches only the mfa:false routes.
  const gated = await post(app, '/auth/mfa/recovery-codes', { code: '123456' }, session.accessToken)
  t.equal(gated.statusCode, 403)
  t.equal(gated.json().code, 'BDS_ERR_MFA_REQUIRED')

  const enrol = await post(app, '/auth/mfa/enrol', {}, session.accessToken)
  t.equal(enrol.statusCode, 200)
  const { otpauthUri, qrDataUrl } = enrol.json()
  t.match(otpauthUri, /^otpauth:\/\/totp\/Bedside:provider%20account\?/)
  t.notMatch(otpauthUri, /example/, 'no email in the QR')
  t.match(qrDataUrl, /^data:image\/png;base64,/)
  const secret = secretOf(otpauthUri)
  const stored = await app.db.query<{ s: Buffer; on: Date | null }>('SELECT mfa_secret_sealed AS s, mfa_enabled_at AS on FROM users WHERE id = $1', [userId])
  t.notOk(stored.rows[0].s.toString('latin1').includes(secret), 'secret sealed')
  t.equal(stored.rows[0].on, null, 'not on until confirmed')

  t.equal((await post(app, '/auth/mfa/confirm', { code: currentCode(secret, Date.now() + 5 * STEP) }, session.accessToken)).statusCode, 422, 'wrong code')
  const code0 = currentCode(secret)
  const confirm = await post(app, '/auth/mfa/confirm', { code: code0 }, session.accessToken)
  t.equal(confirm.statusCode, 200)
  const { recoveryCodes, accessToken } = confirm.json()
  t.equal(recoveryCodes.length, 10)
  t.equal(new Set(recoveryCodes).size, 10)
  const hashes = await app.db.query<{ h: Buffer }>('SELECT code_hash AS h FROM mfa_recovery_codes')
  t.equal(hashes.rowCount, 10)
  t.notOk(hashes.rows.some((r) => r.h.toString('latin1').includes(recoveryCodes[0].slice(0, 5))), 'stored hashed')
  t.equal((await get(app, '/auth/me', accessToken)).json().sessionMfa, true, 'this session upgraded')
  t.equal((await post(app, '/auth/mfa/enrol', {}, accessToken)).statusCode, 409, 'cannot silently re-enrol')

  // Next sign-in: password, then the second factor.
  const first = await signIn(app, email)
  t.equal(first.status, 'mfa-required')
  t.notOk(first.accessToken, 'no tokens before the second factor')
  const replay = await post(app, '/auth/sign-in/mfa', { challenge: first.challenge, code: code0 })
  t.equal(replay.statusCode, 401, 'the code used to confirm cannot be replayed')
  t.equal(replay.json().code, 'BDS_ERR_MFA_FAILED')
  const code1 = currentCode(secret, Date.now() + STEP)
  const ok = await post(app, '/auth/sign-in/mfa', { challenge: first.challenge, code: code1 })
  t.equal(ok.statusCode, 200)
  t.equal(ok.json().mfa, true)
  t.equal(ok.json().mfaEnrolmentRequired, false)
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: first.challenge, code: code1 })).statusCode, 401, 'challenge single use')
  const next = await signIn(app, email)
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: next.challenge, code: code1 })).statusCode, 401, 'accepted code not accepted again')
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: next.challenge, code: code0 })).statusCode, 401, 'nor an older one')
  t.ok((await auditRows(app, 'auth.mfa')).some((r) => r.details.reason === 'replayed-code'), 'replay audited')

  // Recovery codes: each works once.
  const rc = await post(app, '/auth/sign-in/mfa', { challenge: next.challenge, recoveryCode: recoveryCodes[0].toLowerCase() })
  t.equal(rc.statusCode, 200, 'recovery code (case-insensitive)')
  const again = await signIn(app, email)
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: again.challenge, recoveryCode: recoveryCodes[0] })).statusCode, 401, 'used up')
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: again.challenge, recoveryCode: recoveryCodes[1] })).statusCode, 200)
  const used = await auditRows(app, 'auth.recovery-code-used')
  t.equal(used.length, 2)
  t.equal(used[1].details.remaining, 8)
  t.equal((await get(app, '/auth/me', rc.json().accessToken)).json().recoveryCodesLeft, 8)

  // Challenge attempts are bounded.
  const brute = await signIn(app, email)
  for (let i = 0; i < 5; i++) await post(app, '/auth/sign-in/mfa', { challenge: brute.challenge, code: '000000' })
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: brute.challenge, recoveryCode: recoveryCodes[2] })).statusCode, 401, 'challenge dead after 5 tries')
  const fresh = await signIn(app, email)
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: fresh.challenge, recoveryCode: recoveryCodes[2] })).statusCode, 200, 'that code was not used up by the dead challenge')

  // Regenerating recovery codes needs an MFA session and a fresh code.
  const mfaToken = rc.json().accessToken
  const regen = await post(app, '/auth/mfa/recovery-codes', { code: currentCode(secret, Date.now() - STEP) }, mfaToken)
  t.equal(regen.statusCode, 422, 'older step refused')
  await app.db.query('UPDATE users SET mfa_last_step = NULL WHERE id = $1', [userId]) // as if the next 30 s step had come
  const regen2 = await post(app, '/auth/mfa/recovery-codes', { code: currentCode(secret) }, mfaToken)
  t.equal(regen2.statusCode, 200)
  t.equal(regen2.json().recoveryCodes.length, 10)
  const afterRegen = await signIn(app, email)
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: afterRegen.challenge, recoveryCode: recoveryCodes[3] })).statusCode, 401, 'old codes replaced')
  t.equal((await post(app, '/auth/sign-in/mfa', { challenge: afterRegen.challenge, recoveryCode: regen2.json().recoveryCodes[0] })).statusCode, 200)
  t.equal((await post(app, '/auth/mfa/disable', { password: PASSPHRASE, code: '123456' }, mfaToken)).statusCode, 403, 'providers cannot turn MFA off')
  const enrolAudit = await auditRows(app, 'auth.mfa-enrol')
  t.same(enrolAudit.map((r) => `${r.outcome}:${r.details.step}`), ['success:started', 'failure:confirm', 'success:confirmed'])
  t.notMatch(logs.join(''), /example\.test/)
  t.notMatch(logs.join(''), secret)
})

t.test('wrong second factors count towards lockout', async (t) => {
  const { app } = await buildAuthApp(t, { LOCKOUT_THRESHOLD: '3' })
  const email = 'doc2@example.test'
  const { session } = await invitedProvider(app, email)
  const enrol = await post(app, '/auth/mfa/enrol', {}, session.accessToken)
  const secret = secretOf(enrol.json().otpauthUri)
  await post(app, '/auth/mfa/confirm', { code: currentCode(secret) }, session.accessToken)
  const ch = await signIn(app, email)
  for (let i = 0; i < 2; i++) await post(app, '/auth/sign-in/mfa', { challenge: ch.challenge, code: '000000' })
  // A correct password again does not wipe the count of wrong codes.
  const ch2 = await signIn(app, email)
  t.equal(ch2.status, 'mfa-required')
  t.equal((await auditRows(app, 'auth.lockout')).length, 0)
  await post(app, '/auth/sign-in/mfa', { challenge: ch2.challenge, code: '000000' })
  t.equal((await auditRows(app, 'auth.lockout')).length, 1)
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).statusCode, 401, 'locked')
})

t.test('a patient may turn MFA on and off; off needs a 15-character password', async (t) => {
  const { app } = await buildAuthApp(t)
  const patient = await createTestUser(app, 'patient')
  const setPassword = async (pw: string) => app.db.query('UPDATE users SET password_hash = $2 WHERE id = $1',
    [patient.id, await argon2.hash(pw, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 })])
  const enrol = await post(app, '/auth/mfa/enrol', {}, patient.token)
  const secret = secretOf(enrol.json().otpauthUri)
  t.equal((await post(app, '/auth/mfa/confirm', { code: currentCode(secret) }, patient.token)).statusCode, 200)
  await setPassword('pw8-okay')
  const wrong = await post(app, '/auth/mfa/disable', { password: 'not the password', code: currentCode(secret, Date.now() + STEP) }, patient.token)
  t.equal(wrong.statusCode, 422, 'password must match')
  const short = await post(app, '/auth/mfa/disable', { password: 'pw8-okay', code: currentCode(secret, Date.now() + STEP) }, patient.token)
  t.equal(short.statusCode, 422, 'an 8-character password cannot stand alone')
  t.match(short.json().message, /at least 15/)
  await setPassword(PASSPHRASE)
  const off = await post(app, '/auth/mfa/disable', { password: PASSPHRASE, code: currentCode(secret, Date.now() + STEP) }, patient.token)
  t.equal(off.statusCode, 204)
  t.match((await get(app, '/auth/me', patient.token)).json(), { mfaEnabled: false, recoveryCodesLeft: 0 })
  t.same((await auditRows(app, 'auth.mfa-disable')).map((r) => r.outcome), ['failure', 'success'])
  t.ok(await lastMessage(app, patient.email, 'mfa-disabled'), 'owner told')
})

t.test('role changes are admin-only, end the user\'s sessions and are audited', async (t) => {
  const { app } = await buildAuthApp(t)
  const admin = await createTestUser(app, 'admin')
  const patient = await createTestUser(app, 'patient')
  const self = await app.inject({ method: 'PUT', url: `/admin/users/${admin.id}/role`, headers: bearer(admin), payload: { role: 'patient' } })
  t.equal(self.statusCode, 409)
  const res = await app.inject({ method: 'PUT', url: `/admin/users/${patient.id}/role`, headers: bearer(admin), payload: { role: 'staff' } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: patient.id, role: 'staff' })
  t.equal((await get(app, '/auth/me', patient.token)).statusCode, 401, 'old sessions end')
  const audit = await auditRows(app, 'user.role-change')
  t.match(audit[0], { actor_id: admin.id, target_id: patient.id, details: { from: 'patient', to: 'staff' } })
})
