// The privacy officer's side of break-glass: every emergency access is listed
// for review, its reason is readable only one grant at a time (an audited PHI
// read), and the review outcome is recorded once, with a sealed note.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { sampleProfile } from './helpers.js'

const REASON = 'Unconscious patient in ED REASON-MARKER, confirming allergies'
const NOTE = 'Confirmed with ED charge nurse NOTE-MARKER'

t.test('break-glass grants are listed, opened (audited) and reviewed once', async (t) => {
  const { app, logs } = await buildTestApp(t)
  const patient = await createTestUser(app, 'patient')
  const staff = await createTestUser(app, 'staff')
  const admin = await createTestUser(app, 'admin', { mfa: true })
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: sampleProfile() })
  const grant = await app.inject({ method: 'POST', url: `/records/patients/${patient.id}/break-glass`, headers: bearer(staff), payload: { reason: REASON } })
  t.equal(grant.statusCode, 201)
  const grantId = grant.json().grantId as string

  const list = await app.inject({ url: '/records/break-glass', headers: bearer(admin) })
  t.equal(list.statusCode, 200)
  t.match(list.json().grants, [{ grantId, actorId: staff.id, actorRole: 'staff', patientId: patient.id, review: null }])
  t.notMatch(list.body, /REASON-MARKER/, 'the list carries no reasons')

  for (const who of [patient, staff]) {
    t.equal((await app.inject({ url: '/records/break-glass', headers: bearer(who) })).statusCode, 403, `${who.role} may not list`)
    t.equal((await app.inject({ url: `/records/break-glass/${grantId}`, headers: bearer(who) })).statusCode, 403, `${who.role} may not open`)
  }

  const one = await app.inject({ url: `/records/break-glass/${grantId}`, headers: bearer(admin) })
  t.equal(one.statusCode, 200)
  t.match(one.json(), { grantId, reason: REASON, reasonStatus: 'ok', reviewNote: null, review: null })
  const reads = await app.db.query<{ actor_id: string; target_id: string; details: Record<string, unknown> }>(
    `SELECT actor_id, target_id, details FROM audit_log WHERE action = 'phi.read' AND actor_id = $1`, [admin.id])
  t.match(reads.rows, [{ target_id: patient.id, details: { via: 'privacy-review', breakGlassGrant: grantId } }], 'opening the reason is an audited PHI read')

  t.equal((await app.inject({ method: 'POST', url: `/records/break-glass/${grantId}/review`, headers: bearer(admin), payload: { outcome: 'maybe' } })).statusCode, 400)
  const reviewed = await app.inject({ method: 'POST', url: `/records/break-glass/${grantId}/review`, headers: bearer(admin), payload: { outcome: 'justified', note: NOTE } })
  t.equal(reviewed.statusCode, 200, reviewed.body)
  t.match(reviewed.json(), { grantId, review: { outcome: 'justified', reviewedBy: admin.id, hasNote: true } })
  const again = await app.inject({ method: 'POST', url: `/records/break-glass/${grantId}/review`, headers: bearer(admin), payload: { outcome: 'unjustified' } })
  t.equal(again.statusCode, 409, 'a review is final')
  t.same((await app.inject({ url: '/records/break-glass', headers: bearer(admin) })).json().grants, [], 'nothing left to review')
  t.equal((await app.inject({ url: '/records/break-glass?status=all', headers: bearer(admin) })).json().grants.length, 1)
  for (const before of ['0000-01-01T00:00:00Z', '2026-01-01T00:00:00+20:00']) {
    const odd = await app.inject({ url: `/records/break-glass?status=all&before=${encodeURIComponent(before)}`, headers: bearer(admin) })
    t.ok(odd.statusCode < 500, `before=${before} is not a server error (${odd.statusCode})`)
  }
  t.equal((await app.inject({ url: `/records/break-glass?status=all&before=${encodeURIComponent('2000-01-01T00:00:00Z')}`, headers: bearer(admin) })).json().grants.length, 0)
  t.equal((await app.inject({ url: `/records/break-glass/${grantId}`, headers: bearer(admin) })).json().reviewNote, NOTE)
  t.equal((await app.inject({ url: `/records/break-glass/00000000-0000-4000-8000-000000000000`, headers: bearer(admin) })).statusCode, 404)

  const stored = await app.db.query<{ review_note_sealed: Buffer }>(`SELECT review_note_sealed FROM break_glass_grants`)
  t.notMatch(stored.rows[0].review_note_sealed.toString('latin1'), /NOTE-MARKER/, 'the note is sealed at rest')
  const audit = await app.db.query(`SELECT * FROM audit_log`)
  t.notMatch(JSON.stringify(audit.rows), /REASON-MARKER|NOTE-MARKER/, 'no reason or note in the audit log')
  t.match(audit.rows.filter((r) => r.action === 'phi.break_glass.review'), [{ actor_id: admin.id, target_id: patient.id, details: { result: 'justified', noteGiven: true } }])
  t.notMatch(logs.join(''), /REASON-MARKER|NOTE-MARKER/, 'nor in the logs')
})

t.test('an erased patient\'s grant still lists and can be reviewed; the reason is gone', async (t) => {
  const { app } = await buildTestApp(t)
  const patient = await createTestUser(app, 'patient')
  const staff = await createTestUser(app, 'staff')
  const admin = await createTestUser(app, 'admin', { mfa: true })
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: sampleProfile() })
  const grantId = (await app.inject({ method: 'POST', url: `/records/patients/${patient.id}/break-glass`, headers: bearer(staff), payload: { reason: REASON } })).json().grantId
  await app.phiVault.shred(patient.id, admin.id, app.db)
  const one = await app.inject({ url: `/records/break-glass/${grantId}`, headers: bearer(admin) })
  t.equal(one.statusCode, 200, one.body)
  t.match(one.json(), { reason: null, reasonStatus: 'erased' })
  const reviewed = await app.inject({ method: 'POST', url: `/records/break-glass/${grantId}/review`, headers: bearer(admin), payload: { outcome: 'unjustified', note: NOTE } })
  t.equal(reviewed.statusCode, 200, reviewed.body)
  t.match(reviewed.json(), { review: { outcome: 'unjustified', hasNote: false } })
})

t.test('a grant whose reason does not open is reported like any undecryptable record', async (t) => {
  const { app } = await buildTestApp(t)
  const patient = await createTestUser(app, 'patient')
  const staff = await createTestUser(app, 'staff')
  const admin = await createTestUser(app, 'admin', { mfa: true })
  await app.inject({ method: 'PUT', url: '/records/patients/me', headers: bearer(patient), payload: sampleProfile() })
  const first = (await app.inject({ method: 'POST', url: `/records/patients/${patient.id}/break-glass`, headers: bearer(staff), payload: { reason: REASON } })).json().grantId
  await app.db.query(`UPDATE break_glass_grants SET expires_at = now() WHERE id = $1`, [first])
  const second = (await app.inject({ method: 'POST', url: `/records/patients/${patient.id}/break-glass`, headers: bearer(staff), payload: { reason: REASON } })).json().grantId
  // The reason of one grant copied onto another: bound to its row, it must not open there.
  await app.db.query(`UPDATE break_glass_grants SET reason_sealed = (SELECT reason_sealed FROM break_glass_grants WHERE id = $1) WHERE id = $2`, [first, second])
  const one = await app.inject({ url: `/records/break-glass/${second}`, headers: bearer(admin) })
  t.equal(one.statusCode, 200, one.body)
  t.match(one.json(), { reason: null, reasonStatus: 'undecryptable' })
  const alerts = await app.db.query(`SELECT target_id, details FROM audit_log WHERE action = 'phi.undecryptable'`)
  t.match(alerts.rows, [{ target_id: patient.id, details: { table: 'break_glass_grants', column: 'reason' } }], 'audited as an integrity alert')
})
