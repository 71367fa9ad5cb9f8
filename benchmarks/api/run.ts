// API throughput: an authenticated read route of Bedside against a plain
// Fastify hello-world, interleaved in the same run on this machine, plus
// sign-in latency (argon2id by design, so kept out of the throughput figure).
// Run: npx tsx benchmarks/api/run.ts   (needs the test PostgreSQL; loopback only)
import Fastify from 'fastify'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pg from 'pg'
import { loadConfig } from '../../config/load.js'
import { buildApp } from '../../server/app.js'
import { createServices } from '../../server/services.js'
import { loadFromChild } from '../load-child.js'
import { machine, today } from '../machine.js'

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/test'
const DURATION = Number(process.env.BENCH_SECONDS ?? 8)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)

interface Run { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function cannon (url: string, headers: Record<string, string> = {}): Promise<Run> {
  const r = await loadFromChild({ url, connections: CONNECTIONS, duration: DURATION, headers })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
}

async function main (): Promise<void> {
  const dbName = `bedside_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${dbName}`)
  const url = new URL(ADMIN_URL); url.pathname = `/${dbName}`
  const dataDir = mkdtempSync(join(tmpdir(), 'bedside-bench-'))

  const hello = Fastify({ logger: false })
  hello.get('/', async () => ({ hello: 'world' }))
  const helloUrl = await hello.listen({ host: '127.0.0.1', port: 0 })

  const config = loadConfig({ env: {}, overrides: { DATABASE_URL: url.toString(), DATA_DIR: dataDir, RATE_LIMIT_MAX: '100000000', LOG_LEVEL: 'info' } })
  const services = await createServices(config)
  // Logs are formatted as in production and then dropped.
  const app = await buildApp(services, { logStream: new Writable({ write (_c, _e, cb) { cb() } }) })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })

  // A real patient through the real flows: register, verify, sign in, consent.
  const email = `bench-${randomBytes(4).toString('hex')}@example.test`
  const password = 'correct horse battery staple bench'
  const { signIn, prepare } = await import('./flows.js')
  await prepare(app, base, email, password)

  const signInMs: number[] = []
  let token = ''
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now()
    token = await signIn(base, email, password)
    signInMs.push(performance.now() - t0)
  }
  signInMs.sort((a, b) => a - b)
  const auth = { authorization: `Bearer ${token}` }
  const route = process.env.BENCH_ROUTE ?? '/auth/me'

  const helloRuns: Run[] = []
  const appRuns: Run[] = []
  for (let i = 0; i < ROUNDS; i++) {
    helloRuns.push(await cannon(helloUrl))
    appRuns.push(await cannon(base + route, auth))
  }
  const avg = (runs: Run[], k: keyof Run) => runs.reduce((s, r) => s + r[k], 0) / runs.length
  const ratio = avg(appRuns, 'rps') / avg(helloRuns, 'rps')
  const lines = [
    '# API benchmark', '',
    `Measured ${today()} on ${machine()} (shared, noisy: read the ratio).`,
    `autocannon in its own process, ${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} interleaved rounds, loopback.`, '',
    '| target | req/s | p50 ms | p99 ms | errors | non-2xx |', '| --- | --- | --- | --- | --- | --- |',
    `| plain Fastify hello-world (baseline) | ${avg(helloRuns, 'rps').toFixed(0)} | ${avg(helloRuns, 'p50').toFixed(1)} | ${avg(helloRuns, 'p99').toFixed(1)} | ${avg(helloRuns, 'errors')} | ${avg(helloRuns, 'non2xx')} |`,
    `| Bedside GET ${route} (JWT verify, session check in PostgreSQL, sealed email decrypted) | ${avg(appRuns, 'rps').toFixed(0)} | ${avg(appRuns, 'p50').toFixed(1)} | ${avg(appRuns, 'p99').toFixed(1)} | ${avg(appRuns, 'errors')} | ${avg(appRuns, 'non2xx')} |`,
    '', `**Ratio: ${(ratio * 100).toFixed(1)} % of hello-world req/s.**`, '',
    `Sign-in (argon2id, OWASP parameters, sequential, n=${signInMs.length}): p50 ${signInMs[Math.floor(signInMs.length / 2)].toFixed(0)} ms, max ${signInMs[signInMs.length - 1].toFixed(0)} ms.`, ''
  ]
  const out = lines.join('\n')
  writeFileSync(join(import.meta.dirname, 'RESULTS.md'), out)
  process.stdout.write(out)

  await app.close(); await hello.close(); await services.close()
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); await admin.end()
  rmSync(dataDir, { recursive: true, force: true })
}

main().catch((err) => { console.error(err); process.exit(1) })
