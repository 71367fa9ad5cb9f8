// API throughput: an authenticated read route of Bedside against a plain
// Fastify hello-world, interleaved in the same run on this machine, plus
// sign-in latency (argon2id by design, so kept out of the throughput figure).
// Run: npx tsx benchmarks/api/run.ts   (needs the test PostgreSQL; loopback only)
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { average, benchApi, benchDatabase, cannon, helloWorld, type Run } from '../harness.js'
import { machine, today } from '../machine.js'
import { prepare, signIn } from './flows.js'

const DURATION = Number(process.env.BENCH_SECONDS ?? 8)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const ROUTE = process.env.BENCH_ROUTE ?? '/auth/me'

async function main (): Promise<void> {
  const db = await benchDatabase()
  const hello = await helloWorld()
  const api = await benchApi(db.url)

  // A real patient through the real flows: register, verify, sign in, consent.
  const email = `bench-${randomBytes(4).toString('hex')}@example.test`
  const password = 'correct horse battery staple bench'
  await prepare(api.app, api.base, email, password)
  const signInMs: number[] = []
  let token = ''
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now()
    token = await signIn(api.base, email, password)
    signInMs.push(performance.now() - t0)
  }
  signInMs.sort((a, b) => a - b)

  const load = { connections: CONNECTIONS, duration: DURATION }
  const helloRuns: Run[] = []
  const appRuns: Run[] = []
  for (let i = 0; i < ROUNDS; i++) {
    helloRuns.push(await cannon(hello.url, load))
    appRuns.push(await cannon(api.base + ROUTE, { ...load, headers: { authorization: `Bearer ${token}` } }))
  }
  const row = (name: string, runs: Run[]) =>
    `| ${name} | ${average(runs, 'rps').toFixed(0)} | ${average(runs, 'p50').toFixed(1)} | ${average(runs, 'p99').toFixed(1)} | ${average(runs, 'errors')} | ${average(runs, 'non2xx')} | ${average(runs, 'cpuUs').toFixed(1)} |`
  const ratio = average(appRuns, 'rps') / average(helloRuns, 'rps')
  const out = [
    '# API benchmark', '',
    `Measured ${today()} on ${machine()} (shared and noisy: read the ratio). Command: \`npx tsx benchmarks/api/run.ts\`.`,
    `autocannon in its own process, ${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} interleaved rounds, loopback, PostgreSQL on 127.0.0.1.`, '',
    '| target | req/s | p50 ms | p99 ms | errors | non-2xx | server CPU µs/request |', '| --- | --- | --- | --- | --- | --- | --- |',
    row('plain Fastify hello-world (baseline)', helloRuns),
    row(`Bedside GET ${ROUTE} (signed-in patient: token and session checks cached per process and kept current by PostgreSQL notifications; the account read and email decryption on every request)`, appRuns),
    '', `**Ratio: ${(ratio * 100).toFixed(1)} % of hello-world req/s; by server CPU per request ${(average(helloRuns, 'cpuUs') / average(appRuns, 'cpuUs') * 100).toFixed(1)} %.**`, '',
    `Sign-in (argon2id, OWASP parameters, sequential, n=${signInMs.length}): p50 ${signInMs[Math.floor(signInMs.length / 2)].toFixed(0)} ms, max ${signInMs[signInMs.length - 1].toFixed(0)} ms.`, ''
  ].join('\n')
  if (!process.env.BENCH_ROUTE) writeFileSync(join(import.meta.dirname, 'RESULTS.md'), out)
  process.stdout.write(out)
  await api.close(); await hello.close(); await db.close()
}

main().catch((err) => { console.error(err); process.exit(1) })
