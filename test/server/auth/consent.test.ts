import { Writable } from 'node:stream'
import t from 'tap'
import { ANY_ROLE } from '../../../core/access.js'
import { buildApp } from '../../../server/app.js'
import { bearer, createTestUser } from '../../helpers/users.js'
import { auditRows, buildAuthApp, get, post, signIn, lastMessage, PASSPHRASE } from './helpers.js'

t.test('consent gate: 403 BDS_ERR_CONSENT_REQUIRED until the current versions are accepted', async (t) => {
  const { app, services } = await buildAuthApp(t)
  // A second app on the same services, with an ordinary (consent-gated) route to probe.
  const probe = await buildApp(services, { logStream: new Writable({ write (_c, _e, cb) { cb() } }) })
  probe.get('/probe', { config: { access: { roles: ANY_ROLE } } }, async () => ({ ok: true }))
  await probe.ready()
  t.teardown(() => probe.close())

  const email = 'consent@example.test'
  await post(app, '/auth/register', { email, password: PASSPHRASE })
  await post(app, '/auth/verify-email', { token: (await lastMessage(app, email, 'verify-email'))!.token })
  const s = await signIn(app, email)
  const gated = await get(probe, '/probe', s.accessToken)
  t.equal(gated.statusCode, 403)
  t.match(gated.json(), { statusCode: 403, error: 'Forbidden', code: 'BDS_ERR_CONSENT_REQUIRED' })

  // consent: false routes still answer.
  t.equal((await get(app, '/auth/me', s.accessToken)).statusCode, 200)
  t.equal((await get(app, '/auth/sessions', s.accessToken)).statusCode, 200)
  const docs = (await get(app, '/consent', s.accessToken)).json().documents as Array<{ kind: string; version: number; accepted: boolean }>
  t.same(docs.map((d) => `${d.kind}:${d.version}:${d.accepted}`), ['privacy:1:false', 'telehealth-consent:1:false', 'terms:1:false'], 'patients see all three, seeded at version 1')

  for (const d of docs.slice(0, 2)) t.equal((await post(app, '/consent/accept', { kind: d.kind, version: d.version }, s.accessToken)).statusCode, 204)
  t.equal((await get(probe, '/probe', s.accessToken)).json().code, 'BDS_ERR_CONSENT_REQUIRED', 'one still missing')
  t.equal((await post(app, '/consent/accept', { kind: 'terms', version: 2 }, s.accessToken)).statusCode, 409, 'not the current version')
  t.equal((await post(app, '/consent/accept', { kind: 'terms', version: 1 }, s.accessToken)).statusCode, 204)
  t.equal((await get(probe, '/probe', s.accessToken)).statusCode, 200, 'through once all are accepted')
  t.equal((await post(app, '/consent/accept', { kind: 'terms', version: 1 }, s.accessToken)).statusCode, 204, 'accepting twice is harmless')
  t.equal((await post(app, '/consent/accept', { kind: 'cookies', version: 1 }, s.accessToken)).statusCode, 400)

  // An admin publishes terms v2: everyone must accept again.
  const admin = await createTestUser(app, 'admin')
  const pub = await app.inject({ method: 'POST', url: '/admin/consent/terms', headers: bearer(admin), payload: { title: 'Terms of use', body: 'New terms.' } })
  t.equal(pub.statusCode, 201)
  t.same(pub.json(), { kind: 'terms', version: 2 })
  t.equal((await get(probe, '/probe', s.accessToken)).json().code, 'BDS_ERR_CONSENT_REQUIRED', 'new version gates again')
  t.equal((await app.inject({ method: 'POST', url: '/admin/consent/terms', headers: bearer(admin), payload: { title: 'x', body: 'y' } })).statusCode, 403,
    'the publishing admin too must accept v2 before more admin work')
  t.equal((await post(app, '/consent/accept', { kind: 'terms', version: 2 }, s.accessToken)).statusCode, 204)
  t.equal((await get(probe, '/probe', s.accessToken)).statusCode, 200)

  const patient = await createTestUser(app, 'patient')
  t.equal((await app.inject({ method: 'POST', url: '/admin/consent/privacy', headers: bearer(patient), payload: { title: 'x', body: 'y' } })).statusCode, 403)

  const accepted = await auditRows(app, 'consent.accept')
  t.equal(accepted.length, 4, 'each acceptance audited once')
  t.match(accepted[3].details, { kind: 'terms', version: 2 })
  t.match((await auditRows(app, 'consent.publish'))[0], { actor_id: admin.id, details: { kind: 'terms', version: 2 } })
})

t.test('staff are not asked for the patient telehealth consent', async (t) => {
  const { app } = await buildAuthApp(t)
  const staff = await createTestUser(app, 'staff', { consent: false })
  const docs = (await get(app, '/consent', staff.token)).json().documents as Array<{ kind: string }>
  t.same(docs.map((d) => d.kind), ['privacy', 'terms'])
  const admin = await createTestUser(app, 'admin', { consent: false })
  const res = await app.inject({ method: 'POST', url: '/admin/consent/telehealth-consent', headers: bearer(admin), payload: { title: 'x', body: 'y' } })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'BDS_ERR_CONSENT_REQUIRED')
  t.match(res.json().message, /privacy|terms/)
})
