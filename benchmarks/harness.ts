// What every HTTP benchmark needs: a throwaway database, the hello-world
// baseline, a Bedside API as in production (logs formatted, then dropped) and
// a load generator in its own process.
import Fastify from 'fastify'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pg from 'pg'
import { loadConfig } from '../config/load.js'
import { buildApp } from '../server/app.js'
import { createServices } from '../server/services.js'
import { loadFromChild } from './load-child.js'

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/test'

export interface Run {
  rps: number; p50: number; p99: number; errors: number; non2xx: number
  /** CPU this process (the servers under test) spent per request, user + system, in µs. */
  cpuUs: number
}

/**
 * Loads one URL from a child process. The servers live in this process and
 * only one is loaded at a time, so this process's CPU time per request is the
 * target's: steadier on a shared machine than req/s, which also measures the
 * load generator competing for the same cores.
 */
export async function cannon (url: string, o: { connections: number; duration: number; headers?: Record<string, string> }): Promise<Run> {
  const before = process.cpuUsage()
  const r = await loadFromChild({ url, ...o })
  const cpu = process.cpuUsage(before)
  const total = (r.requests as { total?: number }).total ?? r.requests.average * o.duration
  return {
    rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx,
    cpuUs: total > 0 ? (cpu.user + cpu.system) / total : 0
  }
}

export const average = (runs: Run[], k: keyof Run): number => runs.reduce((s, r) => s + r[k], 0) / runs.length

export async function helloWorld (): Promise<{ url: string; close (): Promise<void> }> {
  const hello = Fastify({ logger: false })
  hello.get('/', async () => ({ hello: 'world' }))
  const url = await hello.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: () => hello.close() }
}

/** A fresh database on the machine's PostgreSQL, dropped by close(). */
export async function benchDatabase (): Promise<{ url: string; close (): Promise<void> }> {
  const name = `bedside_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(ADMIN_URL); url.pathname = `/${name}`
  return {
    url: url.toString(),
    async close () { await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); await admin.end() }
  }
}

/** A listening Bedside API on that database, configured like production but for rate limits. */
export async function benchApi (databaseUrl: string, settings: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bedside-bench-'))
  const config = loadConfig({ env: {}, overrides: { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, RATE_LIMIT_MAX: '100000000', LOG_LEVEL: 'info', ...settings } })
  const services = await createServices(config)
  const app = await buildApp(services, { logStream: new Writable({ write (_c, _e, cb) { cb() } }) })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    app, base, services,
    async close () { await app.close(); await services.close(); rmSync(dataDir, { recursive: true, force: true }) }
  }
}
