// PHI encryption cost: request throughput of the encrypted patient profile
// (GET/PUT /records/patients/me) against a plaintext baseline table served by
// the same app, the same auth, schema and audit entry, in the same run.
// Run: npx tsx benchmarks/phi/run.ts [--seconds 8] [--connections 10]
// Needs the test PostgreSQL (TEST_DATABASE_ADMIN_URL, default postgres://root@127.0.0.1:5432/test).
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
const SECONDS = arg('--seconds', 8)
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
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 }
}

function micro () {
  const c = createPhiCipher(keyringFromJson(newKeyringJson()))
  const dk = { id: randomUUID(), key: randomBytes(32) }
  const ctx = { table: 'patient_profiles', column: 'legal_name', row: randomUUID() }
  const value = JSON.stringify(sampleProfile().legalName)
  const time = (fn: () => void) => { const n = 50_000; const t0 = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(); return Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9)) }
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
    const results: Record<string, Array<{ rps: number; p50: number; p99: number }>> = {}
    const run = async (name: string, path: string, method: 'GET' | 'PUT') => {
      (results[name] ??= []).push(await load(base + path, method, tokens, bodies))
      process.stdout.write(`${name}: ${results[name].at(-1)!.rps} req/s\n`)
    }
    await load(base + '/records/patients/me', 'GET', tokens, bodies) // warm-up
    // A B B A, so drift on a shared machine hits both sides alike.
    for (const order of [['enc', 'plain'], ['plain', 'enc']]) {
      for (const side of order) {
        const path = side === 'enc' ? '/records/patients/me' : '/bench/plain/me'
        await run(`${side} read`, path, 'GET')
        await run(`${side} write`, path, 'PUT')
      }
    }
    const avg = (k: string, f: 'rps' | 'p50' | 'p99') => results[k].reduce((s, r) => s + r[f], 0) / results[k].length
    const row = (op: 'read' | 'write') => {
      const enc = avg(`enc ${op}`, 'rps'); const plain = avg(`plain ${op}`, 'rps')
      return `| ${op} | ${plain.toFixed(0)} | ${enc.toFixed(0)} | ${((1 - enc / plain) * 100).toFixed(1)} % | ${avg(`plain ${op}`, 'p99').toFixed(0)} / ${avg(`enc ${op}`, 'p99').toFixed(0)} ms |`
    }
    const m = micro()
    const md = [
      '# PHI encryption benchmark', '',
      `Measured ${today()} on ${machine()} (shared with other work), PostgreSQL on loopback, ${CONNECTIONS} connections,`,
      `${SECONDS} s per run, each side run twice (A B B A) and averaged, ${PATIENTS} patients with full profiles (11 sealed fields).`,
      'Both sides: same app, JWT + session check, typebox schema, one audit-log entry per request (hash-chained, serialised).',
      'Encrypted = `GET/PUT /records/patients/me` (per-patient data key, AES-256-GCM per field, blind indexes on write).',
      'Plaintext = the same handler shape on a plaintext table (`bench_plain_profiles`, created only in the benchmark database).', '',
      '| operation | plaintext req/s | encrypted req/s | throughput cost | p99 plain / enc |', '| --- | --- | --- | --- | --- |',
      row('read'), row('write'), '',
      'Target: encryption costs less than 20 % of request throughput.', '',
      'Cipher alone (one field, single core, ops/s):', '',
      `| seal per-record envelope | open per-record envelope | seal with patient key | open with patient key |`, '| --- | --- | --- | --- |',
      `| ${m.sealEnvelope} | ${m.openEnvelope} | ${m.sealSubject} | ${m.openSubject} |`, '',
      'Reproduce: `npx tsx benchmarks/phi/run.ts [--seconds 8] [--connections 10]`.', ''
    ].join('\n')
    writeFileSync(join(import.meta.dirname, 'RESULTS.md'), md)
    process.stdout.write(md)
  } finally {
    await app.close(); await services.close(); rmSync(dir, { recursive: true, force: true })
    const c = new pg.Client({ connectionString: ADMIN_URL }); await c.connect(); await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); await c.end()
  }
}

main().then(() => process.exit(0), (err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1) })
