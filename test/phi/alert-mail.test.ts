// Admin alerts (break-glass, unusual access) are mailed to every admin by the
// message worker, saying what happened and where to look, never who or which patient.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { smtpReceiver, waitFor } from '../helpers/mail-receivers.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { sampleProfile, secretsOf } from './helpers.js'

t.test('a break-glass access mails every admin, with no PHI and no ids', async (t) => {
  const smtp = await smtpReceiver(t)
  const { app } = await buildTestApp(t, {
    SMTP_URL: smtp.url, MESSAGE_WORKER: 'on', MESSAGE_POLL_MS: '100', PUBLIC_URL: 'https://bedside.hospital.test'
  })
  const patient = await createTestUser(app, 'patient')
  const staff = await createTestUser(app, 'staff')
  const admins = [await createTestUser(app, 'admin'), await createTestUser(app, 'admin')]
  const profile = sampleProfile()
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: profile })
  const reason = 'Unconscious patient REASON-MARKER in ED'
  const grant = await app.inject({ method: 'POST', url: `/records/patients/${patient.id}/break-glass`, headers: bearer(staff), payload: { reason } })
  t.equal(grant.statusCode, 201)

  await waitFor(() => smtp.mails.length >= 2)
  t.same(smtp.mails.map((m) => m.to).sort(), admins.map((a) => a.email).sort(), 'one mail to each admin')
  for (const m of smtp.mails) {
    t.match(m.raw, /Subject: Bedside: Break-glass access to review/)
    t.match(m.raw, /https:\/\/bedside\.hospital\.test\//)
    for (const secret of [...secretsOf(profile), 'REASON-MARKER', patient.id, staff.id, patient.email, staff.email, grant.json().grantId]) {
      t.notOk(m.raw.includes(secret), `the alert does not carry ${secret === patient.id || secret === staff.id ? 'an id' : 'PHI'}`)
    }
  }
  // The receiver has the mail a moment before the worker records it as sent.
  const statuses = async () => (await app.db.query<{ status: string }>(`SELECT status FROM outbox WHERE template = 'phi-break-glass'`)).rows.map((r) => r.status)
  const deadline = Date.now() + 10_000
  while ((await statuses()).some((s) => s !== 'sent') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  t.same(await statuses(), ['sent', 'sent'])
})
