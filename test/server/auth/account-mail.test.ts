import t, { type Test } from 'tap'
import { createOutboxWorker } from '../../../core/messages/outbox-worker.js'
import { transportsFrom } from '../../../core/messages/transports.js'
import { accountTemplates, renderNotice } from '../../../server/notify/account-templates.js'
import { NOTICE_PURPOSES } from '../../../server/notify/notifier.js'
import { createOutboxNotifier } from '../../../server/notify/outbox-notifier.js'
import { smtpReceiver, waitFor, type Mail } from '../../helpers/mail-receivers.js'
import { bearer, createTestUser } from '../../helpers/users.js'
import { acceptAll, buildAuthApp, PASSPHRASE, post, signIn } from './helpers.js'

const SITE = 'https://bedside.hospital.test'
// Seeded into the patient's record below: none of it may reach a mail.
const FORBIDDEN = [/PHI-MARKER/i, /Markerfamily/i, /Givenmarker/i, /1961-02-03/, /5550100777/, /Markerton/i]

/** An app whose own message worker sends through a real SMTP server on loopback. */
async function mailingApp (t: Test, extra: Record<string, string> = {}) {
  const smtp = await smtpReceiver(t)
  const ta = await buildAuthApp(t, {
    SMTP_URL: smtp.url, SMTP_FROM: 'Bedside <no-reply@hospital.test>', MESSAGE_WORKER: 'on', MESSAGE_POLL_MS: '100',
    MESSAGE_BACKOFF_MS: '50', PUBLIC_URL: SITE, ...extra
  })
  return { ...ta, smtp }
}

interface Received { subject: string; body: string; from: string; link?: string; token?: string }

const header = (raw: string, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)?.[1]?.trim() ?? ''

/** Waits for the mail with this subject to this address, and reads it as its recipient would. */
async function mailTo (smtp: { mails: Mail[] }, to: string, subject: string): Promise<Received> {
  const find = () => smtp.mails.find((m) => m.to === to && header(m.raw, 'Subject') === subject)
  await waitFor(() => find() !== undefined)
  const m = find()
  if (!m) throw new Error(`no "${subject}" mail arrived (got: ${smtp.mails.map((x) => header(x.raw, 'Subject')).join('; ')})`)
  const body = m.raw.slice(m.raw.indexOf('\r\n\r\n') + 4)
  const link = /https:\/\/\S+/.exec(body)?.[0]
  return { subject, body, from: header(m.raw, 'From'), link, token: link?.split('#token=')[1] }
}

t.test('account emails reach a real SMTP server, their links work, and they carry no PHI', async (t) => {
  const { app, smtp, logs } = await mailingApp(t)
  const email = 'mail.patient@example.test'

  // Registration: the verification link from the mail verifies the account.
  t.equal((await post(app, '/auth/register', { email, password: PASSPHRASE })).statusCode, 202)
  const verify = await mailTo(smtp, email, 'Confirm your email address')
  t.match(verify.link, new RegExp(`^${SITE}/verify-email#token=[A-Za-z0-9_-]{20,}$`), 'a link to the site, token in the fragment')
  t.match(verify.from, /no-reply@hospital\.test/)
  t.match(verify.body, /expires/)
  t.equal((await post(app, '/auth/sign-in', { email, password: PASSPHRASE })).statusCode, 403, 'no sign-in before the link is followed')
  t.equal((await post(app, '/auth/verify-email', { token: verify.token })).statusCode, 200, 'the emailed link verifies the account')
  const s = await signIn(app, email)
  await acceptAll(app, s.accessToken)

  // PHI in the record from here on; no later mail may carry any of it.
  const profile = await app.inject({
    method: 'PUT', url: '/records/patients/me', headers: { authorization: `Bearer ${s.accessToken}` },
    payload: { legalName: { family: 'Markerfamily PHI-MARKER', given: ['Givenmarker'] }, birthDate: '1961-02-03', phone: '+1 555 0100777', address: { line: ['1 PHI-MARKER Street'], city: 'Markerton' } }
  })
  t.equal(profile.statusCode, 200)

  // Someone registering the same address: the owner is told, the account is untouched.
  await post(app, '/auth/register', { email, password: 'someone else entirely here' })
  const attempt = await mailTo(smtp, email, 'Someone tried to register with your email address')
  t.match(attempt.link, `${SITE}/sign-in`)

  // Changing the password is announced.
  t.equal((await post(app, '/auth/password', { currentPassword: PASSPHRASE, newPassword: 'a changed long passphrase' }, s.accessToken)).statusCode, 204)
  const changed = await mailTo(smtp, email, 'Your password was changed')
  t.match(changed.body, /If it was not you, please contact the hospital/)

  // Forgotten password: the emailed link resets it.
  t.equal((await post(app, '/auth/password/forgot', { email })).statusCode, 202)
  const reset = await mailTo(smtp, email, 'Reset your password')
  t.match(reset.link, new RegExp(`^${SITE}/reset-password#token=`))
  t.match(reset.body, /expires/)
  t.equal((await post(app, '/auth/password/reset', { token: reset.token, password: 'a reset long passphrase' })).statusCode, 200)
  t.equal((await signIn(app, email, 'a reset long passphrase')).status, 'signed-in', 'the new password works')

  // Invitation: the emailed link lets the invitee choose a password.
  const admin = await createTestUser(app, 'admin')
  const invitee = 'mail.invitee@example.test'
  t.equal((await app.inject({ method: 'POST', url: '/admin/invitations', headers: bearer(admin), payload: { email: invitee, role: 'provider' } })).statusCode, 201)
  const invitation = await mailTo(smtp, invitee, 'You have been invited to Bedside')
  t.match(invitation.link, new RegExp(`^${SITE}/accept-invitation#token=`))
  t.equal((await post(app, '/auth/invitations/accept', { token: invitation.token, password: PASSPHRASE })).statusCode, 200)
  t.equal((await signIn(app, invitee)).status, 'signed-in')

  for (const m of [verify, attempt, changed, reset, invitation]) {
    for (const re of FORBIDDEN) t.notMatch(m.body, re, `no ${re} in "${m.subject}"`)
    t.notMatch(m.body, /mail\.(patient|invitee)|example\.test/, `no address in the body of "${m.subject}"`)
    t.notMatch(m.body, new RegExp(admin.id), 'no ids')
    t.match(m.body, /Bedside/, 'says it concerns a Bedside account')
  }
  await waitFor(() => smtp.mails.length >= 5)
  // The receiver has a mail a moment before the worker records it as sent.
  const outbox = () => app.db.query<{ template: string; status: string; attempts: number }>('SELECT template, status, attempts FROM outbox ORDER BY created_at')
  const deadline = Date.now() + 10_000
  while ((await outbox()).rows.some((r) => r.status !== 'sent') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  const rows = await outbox()
  t.same(rows.rows.map((r) => r.template), ['verify-email', 'registration-attempt', 'password-changed', 'password-reset', 'invitation'])
  t.ok(rows.rows.every((r) => r.status === 'sent' && r.attempts === 1), 'every outbox row sent, once')
  t.equal(smtp.mails.length, 5, 'nothing sent twice')
  t.notMatch(logs.join(''), /example\.test|Markerfamily/, 'no address or PHI in the logs')
})

t.test('every purpose has plain wording; a link-carrying purpose without its link is not sent', async (t) => {
  const link = `${SITE}/x#token=abcdefghijklmnopqrstuvwxyz`
  for (const p of NOTICE_PURPOSES) {
    const m = renderNotice(p, link)
    t.ok(m && m.subject.length > 0 && m.text.startsWith('Hello,\n\n'), `${p} renders`)
    t.ok(accountTemplates[p], `${p} has a template`)
  }
  for (const p of ['verify-email', 'invitation', 'password-reset'] as const) t.equal(renderNotice(p, undefined), null, `${p} needs its link`)
  t.notMatch(renderNotice('account-locked', undefined)!.text, /undefined|https:/, 'no link line when there is none')
})

t.test('the worker leaves other templates alone and fails an unrenderable row at once', async (t) => {
  const { app, smtp } = await mailingApp(t, { MESSAGE_WORKER: 'off' })
  const notifier = createOutboxNotifier(app.db, app.phi)
  await notifier.send({ userId: null, to: 'linkless@example.test', purpose: 'verify-email' })
  await notifier.send({ userId: null, to: 'fine@example.test', purpose: 'account-locked' })
  await app.db.query(`INSERT INTO outbox (channel, to_sealed, template) VALUES ('email', '\\x00', 'someone-elses-template')`)
  const worker = createOutboxWorker({
    db: app.db, phi: app.phi, transports: transportsFrom(app.config.messages), templates: accountTemplates, maxAttempts: 3, backoffMs: 10, leaseMs: 60_000
  })
  t.teardown(() => worker.stop())
  t.same(await worker.runOnce(), { sent: 1, retried: 0, failed: 1, skipped: 0 })
  const rows = await app.db.query<{ template: string; status: string; attempts: number; last_error: string | null }>(
    'SELECT template, status, attempts, last_error FROM outbox ORDER BY template')
  t.same(rows.rows, [
    { template: 'account-locked', status: 'sent', attempts: 1, last_error: null },
    { template: 'someone-elses-template', status: 'pending', attempts: 0, last_error: null },
    { template: 'verify-email', status: 'failed', attempts: 1, last_error: 'verify-email message could not be rendered' }
  ])
  t.equal(smtp.mails.length, 1)
  t.equal(smtp.mails[0].to, 'fine@example.test')
})

t.test('MESSAGE_WORKER=auto without a transport runs no worker: messages stay queued', async (t) => {
  const { app } = await buildAuthApp(t, { MESSAGE_POLL_MS: '100' })
  t.equal(app.config.messages.worker, 'auto')
  await post(app, '/auth/register', { email: 'queued@example.test', password: PASSPHRASE })
  await new Promise((resolve) => setTimeout(resolve, 600))
  const rows = await app.db.query('SELECT status, attempts FROM outbox')
  t.same(rows.rows, [{ status: 'pending', attempts: 0 }], 'untouched after several poll intervals')
})

t.test('MESSAGE_WORKER=on without a transport retries, then marks the message failed', async (t) => {
  const { app } = await buildAuthApp(t, { MESSAGE_WORKER: 'on', MESSAGE_POLL_MS: '100', MESSAGE_BACKOFF_MS: '10', MESSAGE_MAX_ATTEMPTS: '2' })
  await post(app, '/auth/register', { email: 'nowhere@example.test', password: PASSPHRASE })
  const status = async () => (await app.db.query<{ status: string; attempts: number; last_error: string }>('SELECT status, attempts, last_error FROM outbox')).rows[0]
  const deadline = Date.now() + 15_000
  while ((await status()).status !== 'failed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(await status(), { status: 'failed', attempts: 2, last_error: 'no email transport configured' })
})
