// The API process under test: a fresh database, seeded visits, the real app
// listening on 127.0.0.1. Driven over IPC by run.ts (fork with --expose-gc).
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { loadConfig } from '../../config/load.js'
import { keyringFromJson, newKeyringJson } from '../../core/crypto/keyring.js'
import { buildApp } from '../../server/app.js'
import { newSigningJwk, signingKeysFromJwks } from '../../server/auth/signing-keys.js'
import { createServices } from '../../server/services.js'

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/test'
const visits = Number(process.argv[2] ?? 1000)

const name = `bedside_bench_${randomBytes(4).toString('hex')}`
const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`CREATE DATABASE ${name}`)
await admin.end()
const url = new URL(ADMIN_URL); url.pathname = `/${name}`
const dataDir = mkdtempSync(join(tmpdir(), 'bedside-bench-'))
const config = loadConfig({
  env: {},
  overrides: {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', DATA_DIR: dataDir, DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '20',
    RATE_LIMIT_MAX: '10000000', MEDIA_ENGINE: 'werift', TURN_MODE: 'external',
    TURN_SECRET: 'benchmark-turn-secret-0123456789abcdef', TURN_URLS: 'turn:127.0.0.1:3478?transport=udp'
  }
})
const services = await createServices(config, {
  keyring: keyringFromJson(newKeyringJson()),
  signingKeys: await signingKeysFromJwks({ keys: [await newSigningJwk('bench-1')] })
})
const app = await buildApp(services)
console.error(`bench API: migrated, seeding ${visits} visits`)
const address = await app.listen({ host: '127.0.0.1', port: 0 })

// Bulk seed (the per-row test helpers are too slow for thousands): users,
// live sessions, calendars, visit types and appointments starting now.
const seeded: Array<{ appointmentId: string; patient: string; provider: string }> = []
for (let start = 0; start < visits; start += 500) {
  const n = Math.min(500, visits - start)
  const ids = { patient: [] as string[], provider: [] as string[], session: [] as string[], vt: [] as string[], appt: [] as string[] }
  const users: Array<[string, string, Buffer, Buffer, boolean]> = []
  for (let i = 0; i < n; i++) {
    for (const role of ['patient', 'provider'] as const) {
      const id = randomUUID()
      ids[role].push(id)
      const email = `${role}-${id}@bench.test`
      users.push([id, role, app.phi.index('email', email), app.phi.seal(email, { table: 'users', column: 'email', row: id }), role === 'provider'])
    }
    ids.vt.push(randomUUID()); ids.appt.push(randomUUID())
  }
  await app.db.query(`INSERT INTO users (id, role, email_index, email_sealed, email_verified_at, mfa_enabled_at)
    SELECT u.id, u.role, u.idx, u.sealed, now(), CASE WHEN u.mfa THEN now() END
      FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::bool[]) AS u(id, role, idx, sealed, mfa)`,
  [users.map((u) => u[0]), users.map((u) => u[1]), users.map((u) => u[2]), users.map((u) => u[3]), users.map((u) => u[4])])
  const sessions = await app.db.query<{ id: string; user_id: string }>(`INSERT INTO sessions (user_id, refresh_hash, mfa, expires_at)
    SELECT u.id, uuid_send(gen_random_uuid()), u.mfa, now() + interval '2 hours' FROM unnest($1::uuid[], $2::bool[]) AS u(id, mfa) RETURNING id, user_id`,
  [users.map((u) => u[0]), users.map((u) => u[4])])
  const sid = new Map(sessions.rows.map((r) => [r.user_id, r.id]))
  await app.db.query(`INSERT INTO consent_acceptances (user_id, kind, version)
    SELECT DISTINCT ON (u.id, d.kind) u.id, d.kind, d.version
      FROM unnest($1::uuid[], $2::text[]) AS u(id, role) JOIN consent_documents d ON u.role = ANY(d.roles)
     ORDER BY u.id, d.kind, d.version DESC`, [users.map((u) => u[0]), users.map((u) => u[1])])
  await app.db.query(`INSERT INTO provider_calendars (provider_id, time_zone, min_notice_minutes, max_advance_days)
    SELECT unnest($1::uuid[]), 'UTC', 0, 365`, [ids.provider])
  await app.db.query(`INSERT INTO visit_types (id, provider_id, code, name, duration_minutes)
    SELECT v.id, v.p, 'video', 'Video visit', 30 FROM unnest($1::uuid[], $2::uuid[]) AS v(id, p)`, [ids.vt, ids.provider])
  await app.db.query(`INSERT INTO appointments (id, patient_id, provider_id, visit_type_id, status, starts_at, ends_at, busy_from, busy_until, booked_by)
    SELECT a.id, a.pat, a.prov, a.vt, 'booked', now(), now() + interval '30 minutes', now(), now() + interval '30 minutes', a.pat
      FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[]) AS a(id, pat, prov, vt)`, [ids.appt, ids.patient, ids.provider, ids.vt])
  for (let i = 0; i < n; i++) {
    const sign = (id: string, role: 'patient' | 'provider') => app.tokens.sign({ sub: id, role, sid: sid.get(id)!, mfa: role === 'provider' })
    seeded.push({ appointmentId: ids.appt[i], patient: await sign(ids.patient[i], 'patient'), provider: await sign(ids.provider[i], 'provider') })
  }
}

let stopped = false
const stop = async () => {
  if (stopped) return
  stopped = true
  await app.close()
  await services.close()
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await c.end()
  rmSync(dataDir, { recursive: true, force: true })
  process.exit(0)
}

// The driver gone (killed, crashed): do not outlive it.
process.on('disconnect', () => { void stop() })
process.on('message', (m: { type: string }) => {
  if (m.type === 'mem') {
    (globalThis as { gc?: () => void }).gc?.()
    const mu = process.memoryUsage()
    process.send?.({ type: 'mem', rss: mu.rss, heapUsed: mu.heapUsed, external: mu.external, connections: app.signalling.connections, visits: app.signalling.registry.visits, cpu: process.cpuUsage() })
  }
  if (m.type === 'stop') void stop()
})
process.send?.({ type: 'ready', http: address, ws: address.replace(/^http/, 'ws') + '/ws', seeded })
