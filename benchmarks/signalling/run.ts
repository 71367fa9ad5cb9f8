// 2,000 concurrent signalling participants on one API process (loopback):
// 1,000 visits, each a provider who joins (admitted at once) and a patient who
// joins the waiting room and is admitted; then every socket heart-beats.
// Usage: npx tsx benchmarks/signalling/run.ts [visits=1000] [holdSeconds=30]
import { fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { machine, today } from '../machine.js'
import { Client } from '../../test/signalling/helpers.js'

const visits = Number(process.argv[2] ?? 1000)
let stopping = false
const holdSeconds = Number(process.argv[3] ?? 30)
const concurrency = 25 // visits joining at once (up to 50 sockets mid-join)

interface Mem { rss: number; heapUsed: number; external: number; connections: number; visits: number; cpu: { user: number; system: number } }
const child = fork(join(import.meta.dirname, 'server.ts'), [String(visits)], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
child.on('exit', (code) => { if (!stopping) { console.error(`API process exited (${code})`); process.exit(1) } })
const nextMessage = <T>(type: string): Promise<T> => new Promise((resolve) => {
  const on = (m: { type: string }) => { if (m.type === type) { child.off('message', on); resolve(m as T) } }
  child.on('message', on)
})
const mem = async (): Promise<Mem> => { const p = nextMessage<Mem>('mem'); child.send({ type: 'mem' }); return p }

const loadBefore = loadavg()[0]
const t0 = Date.now()
const ready = await nextMessage<{ http: string; ws: string; seeded: Array<{ appointmentId: string; patient: string; provider: string }> }>('ready')
console.log(`seeded ${visits} visits in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
const before = await mem()

const ticketMs: number[] = []
const joinMs: number[] = []
const admitMs: number[] = []
const clients: Client[] = []
let unexpectedCloses = 0

async function ticket (token: string, appointmentId: string): Promise<string> {
  const start = performance.now()
  const res = await fetch(`${ready.http}/visits/${appointmentId}/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  if (res.status !== 201) throw new Error(`ticket ${res.status}`)
  ticketMs.push(performance.now() - start)
  return ((await res.json()) as { ticket: string }).ticket
}

async function joinAs (token: string, appointmentId: string) {
  const tk = await ticket(token, appointmentId)
  const start = performance.now()
  const c = await Client.open(ready.ws)
  const result = await c.call('join', { version: 1, ticket: tk })
  joinMs.push(performance.now() - start)
  clients.push(c)
  c.closed.then(() => { if (!stopping) unexpectedCloses++ })
  return { c, result }
}

const joinStart = Date.now()
let nextVisit = 0
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (nextVisit < visits) {
    const v = ready.seeded[nextVisit++]
    const prov = await joinAs(v.provider, v.appointmentId)
    const pat = await joinAs(v.patient, v.appointmentId)
    const q = await prov.c.next('queue', (d) => d.entries.length === 1)
    const start = performance.now()
    await prov.c.call('admit', { participantId: q.entries[0].participantId })
    await pat.c.next('admitted')
    admitMs.push(performance.now() - start)
    prov.c.events.length = 0; pat.c.events.length = 0
  }
}))
const joinWall = (Date.now() - joinStart) / 1000
console.log(`${clients.length} participants joined in ${joinWall.toFixed(1)} s`)

// Hold: each socket sends a `ping` request every 5 s (staggered); server pings are answered by ws itself.
const pingMs: number[] = []
const holdEnd = Date.now() + holdSeconds * 1000
await Promise.all(clients.map(async (c, i) => {
  await new Promise((resolve) => setTimeout(resolve, (i * 5000) / clients.length))
  while (Date.now() < holdEnd) {
    const start = performance.now()
    await c.call('ping', {})
    pingMs.push(performance.now() - start)
    await new Promise((resolve) => setTimeout(resolve, 5000))
  }
}))
const during = await mem()
stopping = true
for (const c of clients) c.close()
await new Promise((resolve) => setTimeout(resolve, 2000))
const after = await mem()
child.send({ type: 'stop' })

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN }
const ms = (x: number) => `${x.toFixed(1)} ms`
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`
const n = clients.length
const rows = [
  ['participants (sockets)', String(n)],
  ['visits', String(visits)],
  ['join wall time (concurrency 25 visits)', `${joinWall.toFixed(1)} s (${(n / joinWall).toFixed(0)} joins/s)`],
  ['ticket POST p50 / p99', `${ms(pct(ticketMs, 50))} / ${ms(pct(ticketMs, 99))}`],
  ['join (open socket → join reply) p50 / p99', `${ms(pct(joinMs, 50))} / ${ms(pct(joinMs, 99))}`],
  ['admit (admit sent → patient admitted) p50 / p99', `${ms(pct(admitMs, 50))} / ${ms(pct(admitMs, 99))}`],
  [`ping RTT while holding ${holdSeconds} s, p50 / p99 (${pingMs.length} pings)`, `${ms(pct(pingMs, 50))} / ${ms(pct(pingMs, 99))}`],
  ['server connections at hold', String(during.connections)],
  ['unexpected closes', String(unexpectedCloses)],
  ['server RSS before / holding / after close', `${mib(before.rss)} / ${mib(during.rss)} / ${mib(after.rss)}`],
  ['server heap before / holding', `${mib(before.heapUsed)} / ${mib(during.heapUsed)}`],
  ['memory per participant (RSS delta / n)', `${((during.rss - before.rss) / n / 1024).toFixed(1)} KiB`],
  ['memory per participant (heap delta / n)', `${((during.heapUsed - before.heapUsed) / n / 1024).toFixed(1)} KiB`],
  ['machine load average (1 min) at start / end', `${loadBefore.toFixed(1)} / ${loadavg()[0].toFixed(1)} (2 cores shared with other work)`],
  ['server CPU (user+system) for joins + hold', `${((during.cpu.user + during.cpu.system - before.cpu.user - before.cpu.system) / 1e6).toFixed(1)} s`]
]
const table = ['| measure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n')
console.log(table)
if (process.env.WRITE_RESULTS === '1') {
  writeFileSync(join(import.meta.dirname, 'RESULTS.md'), `# Signalling: concurrent participants on one API process

Measured ${today()} on ${machine()}. Loopback, PostgreSQL 127.0.0.1, werift engine (rooms only, no media),
one API process (forked child) and one client process. Command: \`WRITE_RESULTS=1 npx tsx benchmarks/signalling/run.ts ${visits} ${holdSeconds}\`.

Each visit: the provider gets a ticket (HTTPS route) and joins (admitted at once, TURN credentials, media room
created), the patient gets a ticket and joins the waiting room, the provider admits it. ${concurrency} visits join at a time.
Then every socket sends a \`ping\` request every 5 s for ${holdSeconds} s; the server's own WebSocket pings run as configured.
Memory is the API process after a forced GC, relative to the seeded process before any socket.

${table}
`)
}
process.exit(0)
