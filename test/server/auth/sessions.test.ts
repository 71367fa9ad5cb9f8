import t from 'tap'
import { verifyAuditChain } from '../../../core/audit/audit-log.js'
import { auditRows, buildAuthApp, get, post, signedUpPatient, signIn } from './helpers.js'

t.test('refresh tokens rotate; a reused one revokes the whole family and is audited', async (t) => {
  const { app, logs } = await buildAuthApp(t)
  const email = 'rotate@example.test'
  const s0 = await signedUpPatient(app, email)
  const r1 = await post(app, '/auth/refresh', { refreshToken: s0.refreshToken })
  t.equal(r1.statusCode, 200)
  const s1 = r1.json()
  t.not(s1.refreshToken, s0.refreshToken, 'rotated')
  t.equal(s1.sessionId, s0.sessionId, 'same session (family)')
  t.equal((await get(app, '/auth/me', s1.accessToken)).statusCode, 200)
  const r2 = await post(app, '/auth/refresh', { refreshToken: s1.refreshToken })
  t.equal(r2.statusCode, 200)
  const s2 = r2.json()

  // The thief replays an old token: everything in the family dies.
  const reuse = await post(app, '/auth/refresh', { refreshToken: s0.refreshToken })
  t.equal(reuse.statusCode, 401)
  t.equal(reuse.json().code, 'BDS_ERR_REFRESH_FAILED')
  t.equal((await post(app, '/auth/refresh', { refreshToken: s2.refreshToken })).statusCode, 401, 'newest refresh token revoked too')
  t.equal((await get(app, '/auth/me', s2.accessToken)).statusCode, 401, 'access token of the family refused at once')
  const alerts = await auditRows(app, 'auth.refresh-reuse')
  t.equal(alerts.length, 1)
  t.equal(alerts[0].outcome, 'alert')
  t.equal(alerts[0].target_id, s0.sessionId)
  const { rows } = await app.db.query<{ revoked_reason: string }>('SELECT revoked_reason FROM sessions WHERE id = $1', [s0.sessionId])
  t.equal(rows[0].revoked_reason, 'refresh-reuse')

  // Other sessions of the user are separate families and live on.
  const other = await signIn(app, email)
  t.equal((await post(app, '/auth/refresh', { refreshToken: other.refreshToken })).statusCode, 200)
  t.equal((await post(app, '/auth/refresh', { refreshToken: 'x'.repeat(43) })).statusCode, 401, 'unknown token')
  const stored = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE refresh_hash = $1', [Buffer.from(s2.refreshToken)])
  t.equal(stored.rows[0].n, 0, 'refresh tokens are not stored in the clear')
  t.notMatch(logs.join(''), s1.refreshToken)
})

t.test('idle timeout and absolute lifetime end sessions', async (t) => {
  const { app } = await buildAuthApp(t, { SESSION_IDLE_TIMEOUT: '600', SESSION_MAX_LIFETIME: '3600' })
  const email = 'idle@example.test'
  const s = await signedUpPatient(app, email)
  const { rows } = await app.db.query<{ ttl: number }>('SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM sessions WHERE id = $1', [s.sessionId])
  t.equal(rows[0].ttl, 3600, 'absolute lifetime set at sign-in')
  await app.db.query("UPDATE sessions SET last_used_at = now() - interval '11 minutes' WHERE id = $1", [s.sessionId])
  t.equal((await get(app, '/auth/me', s.accessToken)).statusCode, 401, 'idle: access refused')
  t.equal((await post(app, '/auth/refresh', { refreshToken: s.refreshToken })).statusCode, 401, 'idle: refresh refused')
  t.match((await auditRows(app, 'auth.session-expired'))[0], { details: { reason: 'idle' } })

  const busy = await signIn(app, email)
  await app.db.query("UPDATE sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1", [busy.sessionId])
  t.equal((await post(app, '/auth/refresh', { refreshToken: busy.refreshToken })).statusCode, 401, 'lifetime over, however active')
  t.match((await auditRows(app, 'auth.session-expired'))[1], { details: { reason: 'lifetime' } })

  const fresh = await signIn(app, email)
  await app.db.query("UPDATE sessions SET last_used_at = now() - interval '9 minutes' WHERE id = $1", [fresh.sessionId])
  t.equal((await post(app, '/auth/refresh', { refreshToken: fresh.refreshToken })).statusCode, 200, 'within the idle window')
})

t.test('a user lists their devices and signs one out; logout ends the session', async (t) => {
  const { app } = await buildAuthApp(t)
  const a = await signedUpPatient(app, 'devices@example.test')
  const b = await (async () => {
    const res = await app.inject({ method: 'POST', url: '/auth/sign-in', payload: { email: 'devices@example.test', password: 'correct horse battery staple river' }, headers: { 'user-agent': 'PhoneBrowser/1.0' } })
    return res.json()
  })()
  const other = await signedUpPatient(app, 'someone.else@example.test')

  const list = await get(app, '/auth/sessions', a.accessToken)
  t.equal(list.statusCode, 200)
  const sessions = list.json().sessions as Array<{ id: string; current: boolean; userAgent: string | null }>
  t.equal(sessions.length, 2, 'only my sessions')
  t.equal(sessions.find((s) => s.current)?.id, a.sessionId)
  t.equal(sessions.find((s) => !s.current)?.userAgent, 'PhoneBrowser/1.0')

  const notMine = await app.inject({ method: 'DELETE', url: `/auth/sessions/${other.sessionId}`, headers: { authorization: `Bearer ${a.accessToken}` } })
  t.equal(notMine.statusCode, 404, 'someone else\'s session is not found')
  t.equal((await get(app, '/auth/me', other.accessToken)).statusCode, 200, 'and untouched')
  t.equal((await app.inject({ method: 'DELETE', url: '/auth/sessions/not-a-uuid', headers: { authorization: `Bearer ${a.accessToken}` } })).statusCode, 400)

  const revoke = await app.inject({ method: 'DELETE', url: `/auth/sessions/${b.sessionId}`, headers: { authorization: `Bearer ${a.accessToken}` } })
  t.equal(revoke.statusCode, 204)
  t.equal((await get(app, '/auth/me', b.accessToken)).statusCode, 401, 'that device is out at once')
  t.equal((await post(app, '/auth/refresh', { refreshToken: b.refreshToken })).statusCode, 401)
  t.equal((await auditRows(app, 'auth.session-revoke')).length, 1)

  const out = await post(app, '/auth/logout', {}, a.accessToken)
  t.equal(out.statusCode, 204)
  t.equal((await get(app, '/auth/me', a.accessToken)).statusCode, 401)
  t.equal((await post(app, '/auth/refresh', { refreshToken: a.refreshToken })).statusCode, 401)
  t.equal((await auditRows(app, 'auth.logout')).length, 1)
  const chain = await verifyAuditChain(app.db)
  t.ok(chain.ok, `audit chain intact over ${chain.checked} auth entries`)
})
