// PHI encryption cost: request throughput of the encrypted patient profile
// (GET/PUT /records/patients/me) against a plaintext baseline table served by
// the same app, the same auth, schema and audit entry, in the same run.
// Run: npx tsx benchmarks/phi/run.ts [--rounds 5] [--seconds 3] [--connections 10]
// Needs the test PostgreSQL (TEST_DATABASE_ADMIN_URL, default postgres://root@127.0.0.1:5432/test).
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../../config/load.js'
import { keyringFromJson, newKeyringJson } from '../../core/crypto/keyring.js'
import { createPhiCipher } from '../../core/crypto/phi.js'
import { buildApp } from '../../server/app.js'
import { newSigningJwk, signingKeysFromJwks } from '../../server/auth/signing-keys.js'
import { PatientProfile, PatientProfileInput, PATIENT_COLUMNS, PATIENT_FIELDS } from '../../server/phi/patient-schema.js'
import { createServices } from '../../server/services.js'
import { createTestUser } from '../../test/helpers/users.js'
import { sampleProfile } from '../../test/phi/helpers.js'
import { machine, today } from '../machine.js'

interface Result { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }
// autocannon ships no types; the name as a variable keeps TypeScript from asking for them.
const autocannonModule = 'autocannon'
const autocannon = (await import(autocannonModule)).default as (o: Record<string, unknown>) => Promise<Result>

const arg = (name: string, def: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : def }
const SECONDS = arg('--seconds', 3)
const ROUNDS = arg('--rounds', 5)
const CONNECTIONS = arg('--connections', 10)
const PATIENTS = 50
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/test'

/** The baseline: same route shape, same checks and audit, columns in plaintext. */
function plaintextRoutes (f: FastifyInstance) {
  const cols = PATIENT_FIELDS.map((k) => PATIENT_COLUMNS[k])
  f.get('/bench/plain/me', { config: { access: { roles: ['patient'] } }, schema: { response: { 200: PatientProfile } } }, async (req) => {
    const id = req.user!.id
    const { rows } = await f.db.query<Record<string, string | null> & { version: number; updated_at: Date }>(
      `SELECT id, version, updated_at, ${cols.join(', ')} FROM bench_plain_profiles WHERE id = $1`, [id])
    const r = rows[0]
    const out: Record<string, unknown> = { id, version: r.version, updatedAt: r.updated_at.toISOString() }
    for (const k of PATIENT_FIELDS) { const v = r[PATIENT_COLUMNS[k]]; if (v !== null) out[k] = JSON.parse(v) }
    await req.audit({ action: 'phi.read', outcome: 'success', targetType: 'patient', targetId: id, details: { fields: PATIENT_FIELDS.filter((k) => out[k] !== undefined), purpose: 'patient-request', via: 'self' } })
    return out
  })
  f.put('/bench/plain/me', { config: { access: { roles: ['patient'] } }, schema: { body: PatientProfileInput, response: { 200: PatientProfile } } }, async (req) => {
    const id = req.user!.id
    const body = req.body as Record<string, unknown>
    const saved = await f.db.transaction(async (tx) => {
      const vals = PATIENT_FIELDS.map((k) => body[k] === undefined ? null : JSON.stringify(body[k]))
      const { rows } = await tx.query<{ version: number; updated_at: Date }>(`INSERT INTO bench_plain_profiles (id, ${cols.join(', ')}) VALUES ($1, ${cols.map((_c, i) => `$${i + 2}`).join(', ')})
        ON CONFLICT (id) DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, version = bench_plain_profiles.version + 1, updated_at = now()
        RETURNING version, updated_at`, [id, ...vals])
      await req.audit({ action: 'phi.change', outcome: 'success', targetType: 'patient', targetId: id, details: { fields: PATIENT_FIELDS.filter((k) => body[k] !== undefined), purpose: 'patient-request', via: 'self' } }, tx)
      return rows[0]
    })
    // Same as the encrypted route: answer with what was written.
    const out = { id, version: saved.version, updatedAt: saved.updated_at.toISOString(), ...body }
    return out
  })
}

async function load (url: string, method: 'GET' | 'PUT', tokens: string[], bodies: string[]) {
  let n = 0
  const cpu0 = process.cpuUsage()
  const r = await autocannon({
    url, connections: CONNECTIONS, duration: SECONDS,
    requests: [{
      method,
      setupRequest: (req: Record<string, unknown>) => {
        const i = n++ % tokens.length
        return { ...req, headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': 'application/json' }, ...(method === 'PUT' ? { body: bodies[i] } : {}) }
      }
    }]
  })
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${method} ${url}: ${r.non2xx} non-2xx, ${r.errors} errors`)
  const cpu = process.cpuUsage(cpu0)
  // Server and load generator share this process: CPU per request includes both, the same on either side.
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs: (cpu.user + cpu.system) / Math.max(1, n) }
}

function micro () {
  const c = createPhiCipher(keyringFromJson(newKeyringJson()))
  const dk = { id: randomUUID(), key: randomBytes(32) }
  const ctx = { table: 'patient_profiles', column: 'legal_name', row: randomUUID() }
  const value = JSON.stringify(sampleProfile().legalName)
  // CPU time, not wall time: other work on a shared machine does not count against the cipher.
  const time = (fn: () => void) => { const n = 50_000; const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) fn(); const c = process.cpuUsage(c0); return ((c.user + c.system) / n).toFixed(1) }
  const s2 = c.seal(value, ctx)
  const s3 = c.sealWithDataKey(dk, value, ctx)
  return {
    sealEnvelope: time(() => c.seal(value, ctx)),
    openEnvelope: time(() => c.open(s2, ctx)),
    sealSubject: time(() => c.sealWithDataKey(dk, value, ctx)),
    openSubject: time(() => c.openWithDataKey(dk, s3, ctx))
  }
}

async function main () {
  const dbName = `bedside_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_URL }); await admin.connect(); await admin.query(`CREATE DATABASE ${dbName}`); await admin.end()
  const dbUrl = new URL(ADMIN_URL); dbUrl.pathname = `/${dbName}`
  const dir = mkdtempSync(join(tmpdir(), 'bedside-bench-'))
  const config = loadConfig({ env: {}, overrides: { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dir, DATABASE_URL: dbUrl.toString(), RATE_LIMIT_MAX: '100000000' } })
  const services = await createServices(config, { keyring: keyringFromJson(newKeyringJson()), signingKeys: await signingKeysFromJwks({ keys: [await newSigningJwk('bench')] }) })
  const app = await buildApp(services)
  plaintextRoutes(app)
  try {
    await services.db.query(`CREATE TABLE bench_plain_profiles (id uuid PRIMARY KEY REFERENCES users (id), ${PATIENT_FIELDS.map((k) => `${PATIENT_COLUMNS[k]} text`).join(', ')},
      version integer NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL DEFAULT now())`)
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const tokens: string[] = []
    const bodies: string[] = []
    for (let i = 0; i < PATIENTS; i++) {
      const u = await createTestUser(app, 'patient')
      const body = JSON.stringify(sampleProfile())
      tokens.push(u.token); bodies.push(body)
      for (const path of ['/records/patients/me', '/bench/plain/me']) {
        const r = await app.inject({ method: 'PUT', url: path, headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' }, payload: body })
        if (r.statusCode !== 200) throw new Error(`seed ${path}: ${r.statusCode} ${r.body}`)
      }
    }
    type Run = Awaited<ReturnType<typeof load>>
    const results: Record<string, Run[]> = {}
    const run = async (name: string, path: string, method: 'GET' | 'PUT') => {
      (results[name] ??= []).push(await load(base + path, method, tokens, bodies))
      process.stdout.write(`${name}: ${results[name].at(-1)!.rps.toFixed(1)} req/s\n`)
    }
    await load(base + '/records/patients/me', 'GET', tokens, bodies) // warm-up
    await load(base + '/bench/plain/me', 'PUT', tokens, bodies)
    // Short runs, encrypted and plaintext side by side in every round, order
    // alternating: on a shared machine, drift between rounds is far larger than
    // the difference measured, so each round is compared only with itself.
    for (let i = 0; i < ROUNDS; i++) {
      const sides = i % 2 === 0 ? ['enc', 'plain'] : ['plain', 'enc']
      for (const op of ['read', 'write'] as const) {
        for (const side of sides) await run(`${side} ${op}`, side === 'enc' ? '/records/patients/me' : '/bench/plain/me', op === 'read' ? 'GET' : 'PUT')
      }
    }
    const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2 }
    const med = (k: string, f: keyof Run) => median(results[k].map((r) => r[f]))
    const row = (op: 'read' | 'write') => {
      const ratios = results[`enc ${op}`].map((e, i) => e.rps / results[`plain ${op}`][i].rps)
      const cpuCost = med(`enc ${op}`, 'cpuUs') - med(`plain ${op}`, 'cpuUs')
      return `| ${op} | ${med(`plain ${op}`, 'rps').toFixed(0)} | ${med(`enc ${op}`, 'rps').toFixed(0)} | ${((1 - median(ratios)) * 100).toFixed(1)} % ` +
        `(rounds: ${ratios.map((r) => ((1 - r) * 100).toFixed(0)).join(', ')}) | ${med(`plain ${op}`, 'cpuUs').toFixed(0)} / ${med(`enc ${op}`, 'cpuUs').toFixed(0)} µs (${(cpuCost / med(`plain ${op}`, 'cpuUs') * 100).toFixed(1)} %) | ${med(`plain ${op}`, 'p99').toFixed(0)} / ${med(`enc ${op}`, 'p99').toFixed(0)} ms |`
    }
    // CPU per request without the network or the load generator: app.inject,
    // sequential, alternating sides in small batches. CPU time barely depends
    // on what else the machine runs, so this is the steadier of the two figures.
    const cpu: Record<string, number[]> = {}
    for (let i = 0; i < ROUNDS * 2; i++) {
      for (const [name, url, method] of [['enc read', '/records/patients/me', 'GET'], ['plain read', '/bench/plain/me', 'GET'], ['enc write', '/records/patients/me', 'PUT'], ['plain write', '/bench/plain/me', 'PUT']] as const) {
        const c0 = process.cpuUsage()
        for (let j = 0; j < 60; j++) {
          const k = (i * 60 + j) % tokens.length
          const r = await app.inject({ method, url, headers: { authorization: `Bearer ${tokens[k]}`, 'content-type': 'application/json' }, ...(method === 'PUT' ? { payload: bodies[k] } : {}) })
          if (r.statusCode !== 200) throw new Error(`${name}: ${r.statusCode}`)
        }
        const c = process.cpuUsage(c0);
        (cpu[name] ??= []).push((c.user + c.system) / 60)
      }
    }
    const cpuRow = (op: 'read' | 'write') => {
      const e = median(cpu[`enc ${op}`]); const pl = median(cpu[`plain ${op}`])
      return `| ${op} | ${pl.toFixed(0)} µs | ${e.toFixed(0)} µs | ${((1 - pl / e) * 100).toFixed(1)} % |`
    }
    const m = micro()
    const md = [
      '# PHI encryption benchmark', '',
      `Measured ${today()} on ${machine()}, load average ${loadavg()[0].toFixed(1)} at the end (machine shared with other work), PostgreSQL on loopback, ${CONNECTIONS} connections,`,
      `${ROUNDS} rounds of ${SECONDS} s runs, encrypted and plaintext side by side in each round (order alternating); medians shown,`,
      `throughput cost = 1 - median over rounds of (encrypted / plaintext req/s in the same round). ${PATIENTS} patients, full profiles (11 sealed fields).`,
      'Both sides: same app, JWT + session check, typebox schema, one audit-log entry per request (hash-chained, serialised).',
      'Encrypted = `GET/PUT /records/patients/me` (per-patient data key, AES-256-GCM per field, blind indexes on write).',
      'Plaintext = the same handler shape on a plaintext table (`bench_plain_profiles`, created only in the benchmark database).', '',
      '| operation | plaintext req/s | encrypted req/s | throughput cost (per round) | CPU per request plain / enc (extra) | p99 plain / enc |', '| --- | --- | --- | --- | --- | --- |',
      row('read'), row('write'), '',
      'CPU per request in-process (`app.inject`, no network or load generator; median of ' + (ROUNDS * 2) + ' batches of 60, sides alternating):', '',
      '| operation | plaintext | encrypted | throughput cost if CPU-bound (1 - plain/enc) |', '| --- | --- | --- | --- |',
      cpuRow('read'), cpuRow('write'), '',
      'Target: encryption costs less than 20 % of request throughput.', '',
      'Cipher alone (one field, CPU µs per operation):', '',
      `| seal per-record envelope | open per-record envelope | seal with patient key | open with patient key |`, '| --- | --- | --- | --- |',
      `| ${m.sealEnvelope} | ${m.openEnvelope} | ${m.sealSubject} | ${m.openSubject} |`, '',
      'Reproduce: `npx tsx benchmarks/phi/run.ts [--rounds 5] [--seconds 3] [--connections 10]`.', ''
    ].join('\n')
    writeFileSync(join(import.meta.dirname, 'RESULTS.md'), md)
    process.stdout.write(md)
  } finally {
    await app.close(); await services.close(); rmSync(dir, { recursive: true, force: true })
    const c = new pg.Client({ connectionString: ADMIN_URL }); await c.connect(); await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); await c.end()
  }
}

main().then(() => process.exit(0), (err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1) })
