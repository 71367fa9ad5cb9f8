// The session check is cached per process (SESSION_CHECK_CACHE_MS), yet
// revocation, role, account and consent changes must still take effect at
// once in every process, whoever makes them. Two API "processes" share one
// real PostgreSQL here; an operator's psql is a third connection.
import pg from 'pg'
import t from 'tap'
import { createSessionGate } from '../../../server/auth/session-gate.js'
import type { Queryable } from '../../../core/db/db.js'
import { buildTestApp } from '../../helpers/app.js'
import { bearer, createTestUser } from '../../helpers/users.js'
import { LIGHT_HASH } from './helpers.js'

// Long enough that a passing test cannot be the cache simply running out.
const CACHED = { ...LIGHT_HASH, SESSION_CHECK_CACHE_MS: '60000' }

async function until (what: string, fn: () => Promise<boolean>, ms = 3000): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < ms) {
    if (await fn()) return Date.now() - t0
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${what}: not within ${ms} ms`)
}

t.test('a live check is reused: one query for many requests, and none while the feed is down', async (t) => {
  const a = await buildTestApp(t, CACHED)
  const user = await createTestUser(a.app, 'patient')
  let queries = 0
  const counting: Queryable = { query: (text, params) => { queries++; return a.services.db.query(text, params) } }
  const gate = createSessionGate(counting, { idleSeconds: 900, cacheMs: 60_000, changes: a.services.db.changes })
  const who = { id: user.id, role: user.role, sessionId: user.sessionId, mfa: false }
  for (let i = 0; i < 50; i++) t.equal((await gate.check(who)).live, true)
  t.equal(queries, 1, '50 checks, one query')

  const off = createSessionGate(counting, { idleSeconds: 900, cacheMs: 0, changes: a.services.db.changes })
  queries = 0
  for (let i = 0; i < 5; i++) await off.check(who)
  t.equal(queries, 5, 'SESSION_CHECK_CACHE_MS=0 asks every time')

  // A wrong role for the session is never served from the entry of the right one.
  t.equal((await gate.check({ ...who, role: 'admin' })).live, false)
})

t.test('logout in one process ends the session in that process at once and in the other within milliseconds', async (t) => {
  const a = await buildTestApp(t, CACHED)
  const b = await buildTestApp(t, CACHED, { peerOf: a })
  const user = await createTestUser(a.app, 'patient')
  for (const p of [a, b]) t.equal((await p.app.inject({ url: '/auth/me', headers: bearer(user) })).statusCode, 200, 'cached as live')

  const out = await a.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(user), payload: {} })
  t.equal(out.statusCode, 204)
  t.equal((await a.app.inject({ url: '/auth/me', headers: bearer(user) })).statusCode, 401, 'same process: the very next request')
  const ms = await until('peer refuses the token', async () => (await b.app.inject({ url: '/auth/me', headers: bearer(user) })).statusCode === 401)
  t.ok(ms < 3000, `peer process refused it after ${ms} ms (cache would have kept it 60 s)`)
})

t.test('changes an operator makes in psql reach every process: revoke, disable, role, consent', async (t) => {
  const a = await buildTestApp(t, CACHED)
  const b = await buildTestApp(t, CACHED, { peerOf: a })
  const psql = new pg.Client({ connectionString: a.databaseUrl })
  await psql.connect()
  t.teardown(() => psql.end())
  const status = async (u: { token: string }) => Promise.all([a, b].map(async (p) => (await p.app.inject({ url: '/auth/me', headers: bearer(u) })).statusCode))
  const everywhere = (u: { token: string }, code: number) => until(`status ${code} in both`, async () => (await status(u)).every((s) => s === code))

  const revoked = await createTestUser(a.app, 'patient')
  t.same(await status(revoked), [200, 200])
  await psql.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [revoked.sessionId])
  await everywhere(revoked, 401)
  t.pass('revoked session refused in both processes')

  const disabled = await createTestUser(a.app, 'staff')
  t.same(await status(disabled), [200, 200])
  await psql.query('UPDATE users SET disabled_at = now() WHERE id = $1', [disabled.id])
  await everywhere(disabled, 401)
  t.pass('disabled account refused in both processes')

  const reroled = await createTestUser(a.app, 'provider')
  t.same(await status(reroled), [200, 200])
  await psql.query(`UPDATE users SET role = 'patient' WHERE id = $1`, [reroled.id])
  await everywhere(reroled, 401)
  t.pass('a token naming the old role is refused in both processes')

  const idle = await createTestUser(a.app, 'patient')
  t.same(await status(idle), [200, 200])
  await psql.query(`UPDATE sessions SET last_used_at = now() - interval '2 hours' WHERE id = $1`, [idle.sessionId])
  await everywhere(idle, 401)
  t.pass('a session made idle (moved back in time) is refused in both processes')

  const patient = await createTestUser(a.app, 'patient')
  t.same(await status(patient), [200, 200])
  await psql.query(`INSERT INTO consent_documents (kind, version, title, body, roles)
                    SELECT 'terms', max(version) + 1, 'Terms v-next', 'New terms.', ARRAY['patient'] FROM consent_documents WHERE kind = 'terms'`)
  const consent = async () => Promise.all([a, b].map(async (p) => (await p.app.inject({ url: '/appointments', headers: bearer(patient) })).json()))
  await until('consent required in both', async () => (await consent()).every((j) => j.code === 'BDS_ERR_CONSENT_REQUIRED'))
  t.pass('a newly published document is owed at once in both processes')
})

t.test('the feed going down stops reuse; it reconnects by itself', async (t) => {
  const a = await buildTestApp(t, CACHED)
  const user = await createTestUser(a.app, 'patient')
  const feed = a.services.db.changes
  t.equal(feed.live, true)
  const psql = new pg.Client({ connectionString: a.databaseUrl })
  await psql.connect()
  t.teardown(() => psql.end())
  await psql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bedside-changes' AND datname = current_database()`)
  await until('feed reported down', async () => !feed.live, 2000)
  t.pass('the feed says it is not live once its connection is gone')
  // Not live: the database is asked, so a revocation is seen whatever the feed missed.
  t.equal((await a.app.inject({ url: '/auth/me', headers: bearer(user) })).statusCode, 200)
  await until('feed back', async () => feed.live, 5000)
  t.pass('reconnected')
  t.equal((await a.app.inject({ url: '/auth/me', headers: bearer(user) })).statusCode, 200)
  await psql.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [user.sessionId])
  await until('revocation heard after reconnecting', async () => (await a.app.inject({ url: '/auth/me', headers: bearer(user) })).statusCode === 401)
  t.pass('revocation heard after reconnecting')
})
