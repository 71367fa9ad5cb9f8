import t, { type Test } from 'tap'
import { createOutboxWorker, type OutboxWorkerOptions } from '../../core/messages/outbox-worker.js'
import { TransportError, transportsFrom } from '../../core/messages/transports.js'
import { messageTemplates } from '../../scheduler/plugin.js'
import { buildTestApp } from '../helpers/app.js'
import { smsGateway, smtpReceiver, waitFor } from '../helpers/mail-receivers.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { bookBody, dayAt, providerWithCalendar } from './helpers.js'

const SECRET = 'sms-webhook-secret-0123456789'
const PHONE = '+15550100123'

async function setup (t: Test, o: { failSms?: number; smtpDelay?: number; extra?: Record<string, string> } = {}) {
  const smtp = await smtpReceiver(t, o.smtpDelay)
  const gw = await smsGateway(t, SECRET, o.failSms)
  const ta = await buildTestApp(t, {
    SMTP_URL: smtp.url, SMTP_FROM: 'Bedside <no-reply@hospital.test>', SMS_WEBHOOK_URL: gw.url, SMS_WEBHOOK_SECRET: SECRET,
    SCHEDULER_REMINDER_OFFSETS_MINUTES: '1440,60', MESSAGE_BACKOFF_MS: '50', MESSAGE_MAX_ATTEMPTS: '3',
    // Each test drives its own workers; the app's own one would race them for the rows.
    MESSAGE_WORKER: 'off', MESSAGE_TRANSPORT_TIMEOUT_MS: '5000', PUBLIC_URL: 'https://bedside.hospital.test', ...o.extra
  })
  const { app } = ta
  const cal = await providerWithCalendar(app, {
    specialty: 'Oncology-SPECIALTY-MARKER', visitTypes: [{ code: 'chemo-review', name: 'Chemotherapy review VT-MARKER', durationMinutes: 30 }]
  })
  const worker = (batchSize?: number, backoffMs = 50, o: Partial<OutboxWorkerOptions> = {}) => createOutboxWorker({
    db: app.db, phi: app.phi, transports: transportsFrom(app.config.messages), templates: messageTemplates,
    maxAttempts: 3, backoffMs, leaseMs: 60_000, batchSize, ...o
  })
  const makeDue = () => app.db.query(`UPDATE outbox SET next_attempt_at = now() - interval '1 second' WHERE status = 'pending'`)
  return { ...ta, smtp, gw, cal, worker, makeDue }
}

const FORBIDDEN = [/PHI-MARKER/, /SPECIALTY-MARKER/i, /oncology/i, /VT-MARKER/, /chemo/i, /PROVIDER-NAME-MARKER/, /Dr Test/]

t.test('reminders go out by email and SMS to real receivers, with no PHI', async (t) => {
  const { app, smtp, gw, cal, worker, makeDue, logs } = await setup(t)
  const pat = await createTestUser(app, 'patient')
  const pref = await app.inject({ method: 'PUT', url: '/me/reminder-preferences', headers: bearer(pat), payload: { sms: { optedOut: false, phone: PHONE } } })
  t.same(pref.json(), { email: { optedOut: false }, sms: { optedOut: false, phoneOnFile: true } })
  const at = dayAt(3, 10)
  const res = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(cal.provider.id, cal.visitTypeId, at, { reason: 'Lump in breast PHI-MARKER' }) })
  t.equal(res.statusCode, 201)
  const id = res.json().id

  const queued = await app.db.query<{ channel: string; next_attempt_at: Date; to_sealed: Buffer }>(
    `SELECT channel, next_attempt_at, to_sealed FROM outbox WHERE template = 'appointment-reminder' ORDER BY next_attempt_at, channel`)
  t.same(queued.rows.map((r) => [r.channel, r.next_attempt_at.toISOString()]), [
    ['email', new Date(at.getTime() - 1440 * 60_000).toISOString()], ['sms', new Date(at.getTime() - 1440 * 60_000).toISOString()],
    ['email', new Date(at.getTime() - 60 * 60_000).toISOString()], ['sms', new Date(at.getTime() - 60 * 60_000).toISOString()]
  ], 'one per offset and channel, due at the offsets')
  t.notOk(queued.rows.some((r) => r.to_sealed.toString('latin1').includes('5550100')), 'addresses are sealed in the outbox')

  t.same(await worker().runOnce(), { sent: 0, retried: 0, failed: 0, skipped: 0 }, 'nothing is due yet')
  await makeDue()
  t.same(await worker().runOnce(), { sent: 4, retried: 0, failed: 0, skipped: 0 })

  t.equal(smtp.mails.length, 2)
  t.ok(smtp.mails.every((m) => m.to === pat.email))
  t.equal(gw.sms.length, 2)
  t.ok(gw.sms.every((s) => s.to === PHONE && s.signatureOk), 'SMS to the number, signed')
  for (const text of [...smtp.mails.map((m) => m.raw), ...gw.sms.map((s) => s.text)]) {
    for (const re of FORBIDDEN) t.notMatch(text, re, `no ${re} in a reminder`)
    t.notMatch(text, new RegExp(cal.provider.id), 'no provider id')
    t.notMatch(text, new RegExp(id), 'no appointment id')
    t.match(text, /https:\/\/bedside\.hospital\.test\//, 'a sign-in link')
    t.match(text, /video visit on/)
  }
  t.match(gw.sms[0].text, /10:00 UTC/, 'the time, in the calendar\'s zone')

  const status = await app.inject({ url: `/appointments/${id}/reminders`, headers: bearer(pat) })
  t.same(status.json().reminders.map((r: { status: string; attempts: number }) => [r.status, r.attempts]), [['sent', 1], ['sent', 1], ['sent', 1], ['sent', 1]])
  t.same(await worker().runOnce(), { sent: 0, retried: 0, failed: 0, skipped: 0 }, 'sent once only')
  t.notOk(logs.join('').includes('5550100'), 'no phone number in logs')
})

t.test('opt-out per channel, cancelled visits, and reminders rebuilt on reschedule', async (t) => {
  const { app, smtp, gw, cal, worker, makeDue } = await setup(t)
  const pat = await createTestUser(app, 'patient')
  await app.inject({ method: 'PUT', url: '/me/reminder-preferences', headers: bearer(pat), payload: { sms: { optedOut: true, phone: PHONE } } })
  const a = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(cal.provider.id, cal.visitTypeId, dayAt(3, 10)) })
  const b = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(cal.provider.id, cal.visitTypeId, dayAt(3, 12)) })
  const channels = await app.db.query<{ channel: string }>(`SELECT DISTINCT channel FROM outbox WHERE template = 'appointment-reminder'`)
  t.same(channels.rows.map((r) => r.channel), ['email'], 'opted out of SMS: only email queued')

  // Opting out of email after queueing: the worker drops them instead of sending.
  await app.inject({ method: 'PUT', url: '/me/reminder-preferences', headers: bearer(pat), payload: { email: { optedOut: true } } })
  // Cancel b: its reminders are withdrawn at once.
  await app.inject({ method: 'POST', url: `/appointments/${b.json().id}/cancel`, headers: bearer(pat), payload: {} })
  const statuses = await app.db.query<{ status: string; n: string }>(
    `SELECT status, count(*)::text AS n FROM outbox WHERE dedupe_key LIKE $1 GROUP BY status`, [`appt:${b.json().id}:%`])
  t.same(statuses.rows, [{ status: 'cancelled', n: '2' }])
  await makeDue()
  t.same(await worker().runOnce(), { sent: 0, retried: 0, failed: 0, skipped: 2 })
  t.equal(smtp.mails.length + gw.sms.length, 0, 'nothing delivered')

  // Back in; a reschedule queues fresh reminders for the new time, the old ones are gone.
  await app.inject({ method: 'PUT', url: '/me/reminder-preferences', headers: bearer(pat), payload: { email: { optedOut: false } } })
  const moved = await app.inject({ method: 'POST', url: `/appointments/${a.json().id}/reschedule`, headers: bearer(pat), payload: { startsAt: dayAt(4, 9).toISOString() } })
  t.equal(moved.statusCode, 200)
  const pending = await app.db.query<{ next_attempt_at: Date }>(
    `SELECT next_attempt_at FROM outbox WHERE dedupe_key LIKE $1 AND status = 'pending' ORDER BY 1`, [`appt:${a.json().id}:%`])
  t.same(pending.rows.map((r) => r.next_attempt_at.toISOString()), [
    new Date(dayAt(4, 9).getTime() - 1440 * 60_000).toISOString(), new Date(dayAt(4, 9).getTime() - 60 * 60_000).toISOString()])
})

t.test('retries with backoff, then failed after the last attempt; the error holds no address', async (t) => {
  const { app, gw, cal, worker, makeDue } = await setup(t, { failSms: 2, extra: { SCHEDULER_REMINDER_OFFSETS_MINUTES: '60' } })
  const pat = await createTestUser(app, 'patient')
  await app.inject({ method: 'PUT', url: '/me/reminder-preferences', headers: bearer(pat), payload: { email: { optedOut: true }, sms: { optedOut: false, phone: PHONE } } })
  await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(cal.provider.id, cal.visitTypeId, dayAt(3, 10)) })
  await makeDue()
  // Backoff of 1 s, then 2 s: long enough that a loaded machine cannot blur the steps.
  const w = worker(undefined, 1000)
  t.same(await w.runOnce(), { sent: 0, retried: 1, failed: 0, skipped: 0 })
  const row1 = (await app.db.query<{ status: string; attempts: number; last_error: string; wait: number }>(
    `SELECT status, attempts, last_error, extract(epoch FROM next_attempt_at - now()) * 1000 AS wait FROM outbox`)).rows[0]
  t.match(row1, { status: 'pending', attempts: 1, last_error: 'sms gateway HTTP 500' })
  t.ok(row1.wait > 500 && row1.wait <= 1000, 'first retry after the base backoff')
  t.same(await w.runOnce(), { sent: 0, retried: 0, failed: 0, skipped: 0 }, 'not before the backoff')
  await new Promise((r) => setTimeout(r, 1050))
  t.same(await w.runOnce(), { sent: 0, retried: 1, failed: 0, skipped: 0 })
  const row2 = (await app.db.query<{ wait: number }>(`SELECT extract(epoch FROM next_attempt_at - now()) * 1000 AS wait FROM outbox`)).rows[0]
  t.ok(row2.wait > 1500 && row2.wait <= 2000, 'the second retry waits twice as long')
  await new Promise((r) => setTimeout(r, 2050))
  t.same(await w.runOnce(), { sent: 1, retried: 0, failed: 0, skipped: 0 }, 'third attempt gets through')
  t.equal(gw.sms.length, 1)

  // A gateway that never answers well: failed after MESSAGE_MAX_ATTEMPTS.
  const pat2 = await createTestUser(app, 'patient')
  await app.inject({ method: 'PUT', url: '/me/reminder-preferences', headers: bearer(pat2), payload: { email: { optedOut: true }, sms: { optedOut: false, phone: '+15550100999' } } })
  const dead = worker(undefined, 10, { transports: { sms: { async send () { throw new TransportError('sms gateway HTTP 503') }, close () {} } } })
  await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat2), payload: bookBody(cal.provider.id, cal.visitTypeId, dayAt(3, 11)) })
  await makeDue()
  const totals = { sent: 0, retried: 0, failed: 0 }
  for (let i = 0; i < 3; i++) {
    const r = await dead.runOnce()
    totals.sent += r.sent; totals.retried += r.retried; totals.failed += r.failed
    await new Promise((resolve) => setTimeout(resolve, 60))
  }
  t.same(totals, { sent: 0, retried: 2, failed: 1 })
  const last = await app.db.query<{ status: string; attempts: number; last_error: string }>(
    `SELECT status, attempts, last_error FROM outbox WHERE user_id = $1`, [pat2.id])
  t.same(last.rows, [{ status: 'failed', attempts: 3, last_error: 'sms gateway HTTP 503' }])
})

t.test('two workers at once never send a reminder twice', async (t) => {
  const { app, smtp, cal, worker, makeDue } = await setup(t, { smtpDelay: 5, extra: { SCHEDULER_REMINDER_OFFSETS_MINUTES: '1440,120,60' } })
  const patients = await Promise.all(Array.from({ length: 10 }, () => createTestUser(app, 'patient')))
  for (const [i, p] of patients.entries()) {
    const r = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(p), payload: bookBody(cal.provider.id, cal.visitTypeId, dayAt(3, 8 + i)) })
    t.equal(r.statusCode, 201)
  }
  await makeDue()
  const [a, b] = await Promise.all([worker(4).runOnce(), worker(4).runOnce()])
  t.equal(a.sent + b.sent, 30, `all 30 sent between them (${a.sent} + ${b.sent})`)
  t.equal(smtp.mails.length, 30, 'the SMTP server received each exactly once')
  const perUser = new Map<string, number>()
  for (const m of smtp.mails) perUser.set(m.to, (perUser.get(m.to) ?? 0) + 1)
  t.ok([...perUser.values()].every((n) => n === 3), 'three per patient')
})

t.test('MESSAGE_WORKER=auto with a transport runs the worker inside the API process', async (t) => {
  const { app, smtp, cal, makeDue } = await setup(t, { extra: { MESSAGE_WORKER: 'auto', MESSAGE_POLL_MS: '100', SCHEDULER_REMINDER_OFFSETS_MINUTES: '60' } })
  const pat = await createTestUser(app, 'patient')
  const r = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(cal.provider.id, cal.visitTypeId, dayAt(3, 10)) })
  t.equal(r.statusCode, 201)
  await makeDue()
  await waitFor(() => smtp.mails.length > 0)
  t.equal(smtp.mails.length, 1, 'delivered by the background worker')
  t.equal(smtp.mails[0].to, pat.email)
})
