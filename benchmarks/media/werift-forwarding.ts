/**
 * Forwarding capacity of the werift SFU: synthetic RTP producers (Node werift
 * peers) fanned out to consumers over loopback. The SFU runs in a child
 * process; we read its CPU time. Baseline, measured in the same run: the same
 * publishers with no subscribers (ingest only). Reports forwarded packets/s,
 * CPU µs per forwarded packet (all-in and above baseline), packets/s per core
 * and loss. Run: npx tsx benchmarks/media/werift-forwarding.ts [seconds]
 */
import { fork, type ChildProcess } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { MediaEngine } from '../../media/engine.js'
import { joinNodeClient, type NodeClient } from '../../test/media/helpers/werift-client.js'

const SECONDS = Number(process.argv[2] ?? 8)
const PPS = 100 // per publisher: a 640x480 camera sends ~100-120 packets/s
const BYTES = 1000

function remoteEngine (child: ChildProcess): MediaEngine & { cpu (): Promise<{ cpu: NodeJS.CpuUsage; at: string }>; exit (): Promise<void> } {
  let next = 0
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id)
    waiting.delete(m.id)
    if (m.error) w?.reject(new Error(m.error)); else w?.resolve(m.result)
  })
  return new Proxy({}, {
    get: (_t, method: string) => method === 'kind' ? 'werift' : (...args: unknown[]) => new Promise((resolve, reject) => {
      const id = next++
      waiting.set(id, { resolve, reject })
      child.send({ id, method, args })
    })
  }) as never
}

interface Row {
  publishers: number; subsEach: number; sentPps: number; forwardedPps: number; cpuPct: number; clientCpuPct: number
  usAll: number; usAbove: number; perCore: number; loss: number; failed: number
}

async function step (engine: ReturnType<typeof remoteEngine>, publishers: number, subsEach: number, base?: Row, pps = PPS): Promise<Row> {
  const visitId = `bench-${publishers}x${subsEach}x${pps}`
  await engine.createRoom(visitId)
  const clients: NodeClient[] = []
  const subs: { received (): Promise<number> }[] = []
  const pubs = []
  for (let p = 0; p < publishers; p++) {
    const c = await joinNodeClient(engine, { visitId, participantId: `pub${p}` })
    clients.push(c)
    const pub = await c.publish('video', 'camera', { pps, bytes: BYTES })
    pubs.push(pub)
    for (let s = 0; s < subsEach; s++) {
      const sc = await joinNodeClient(engine, { visitId, participantId: `sub${p}-${s}` })
      clients.push(sc)
      const t0 = Date.now()
      const sub = await sc.subscribe(pub.producerId)
      if (Date.now() - t0 > 2000) process.stderr.write(`slow subscribe: ${Date.now() - t0} ms\n`)
      await engine.resumeConsumer(sc.ref, sub.consumerId)
      subs.push(sub)
    }
  }
  // Measure forwarding, not set-up: every subscriber must be receiving first (set-up is slow on a crowded machine).
  const until = Date.now() + 90_000
  while (Date.now() < until && (await Promise.all(subs.map((x) => x.received()))).some((n) => n === 0)) await new Promise((r) => setTimeout(r, 200))
  // A subscriber whose set-up failed on the crowded machine is reported, not counted as forwarding loss.
  const firsts = await Promise.all(subs.map((x) => x.received()))
  const failed = firsts.filter((n) => n === 0).length
  const live = subs.filter((_x, i) => firsts[i]! > 0)
  subs.length = 0
  subs.push(...live)
  await new Promise((r) => setTimeout(r, 2000)) // steady state
  const perSub0 = await Promise.all(subs.map((s) => s.received()))
  const recv0 = perSub0.reduce((a, b) => a + b, 0)
  const sent0 = pubs.reduce((a, p) => a + p.sent(), 0)
  const c0 = await engine.cpu()
  const p0 = process.cpuUsage()
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  const c1 = await engine.cpu()
  const p1 = process.cpuUsage(p0)
  const sent1 = pubs.reduce((a, p) => a + p.sent(), 0)
  const perSub1 = await Promise.all(subs.map((s) => s.received()))
  const recv1 = perSub1.reduce((a, b) => a + b, 0)
  if (process.env.BENCH_DEBUG) process.stderr.write(`per-subscriber packets in window: ${perSub1.map((n, i) => n - perSub0[i]!).join(' ')}\n`)
  await engine.closeRoom(visitId)
  await Promise.all(clients.map((c) => c.close()))

  const wallUs = Number(BigInt(c1.at) - BigInt(c0.at)) / 1000
  const cpuUs = (c1.cpu.user - c0.cpu.user) + (c1.cpu.system - c0.cpu.system)
  const expected = (sent1 - sent0) / publishers * subs.length // publishers send alike
  const forwarded = recv1 - recv0
  const forwardedPps = forwarded / (wallUs / 1e6)
  const usAll = forwarded > 0 ? cpuUs / forwarded : 0
  const baseCpuPerSec = base ? base.cpuPct / 100 * 1e6 * publishers : 0
  const usAbove = forwarded > 0 && base ? (cpuUs - baseCpuPerSec * wallUs / 1e6) / forwarded : 0
  return {
    publishers, subsEach, forwardedPps, cpuPct: cpuUs / wallUs * 100, usAll, usAbove, failed,
    sentPps: (sent1 - sent0) / (wallUs / 1e6), clientCpuPct: (p1.user + p1.system) / wallUs * 100,
    perCore: usAll > 0 ? 1e6 / usAll : 0, loss: expected > 0 ? Math.max(0, 1 - forwarded / expected) : 0
  }
}

async function main (): Promise<void> {
  const child = fork(fileURLToPath(new URL('./sfu-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] })
  const engine = remoteEngine(child)
  const rows: Row[] = []
  const base = await step(engine, 1, 0)
  rows.push(base)
  // BENCH_ROWS=2x16,4x4 runs only those rows (after the baseline).
  const chosen = process.env.BENCH_ROWS?.split(',').map((r) => r.split('x').map(Number) as [number, number])
  for (const [p, s] of chosen ?? [[1, 1], [1, 4], [1, 8], [1, 16], [4, 4], [2, 16]]) rows.push(await step(engine, p, s, base))
  // Heavier: 2 publishers at 4x the rate (a 720p+ camera or screen share burst), towards saturation.
  const heavy = chosen ? [] : [await step(engine, 2, 16, undefined, PPS * 4)]
  // Marginal cost: least-squares slope of SFU CPU against forwarded packets/s over the one-publisher rows.
  const one = rows.filter((r) => r.publishers === 1)
  const mx = one.reduce((a, r) => a + r.forwardedPps, 0) / one.length
  const my = one.reduce((a, r) => a + r.cpuPct * 1e4, 0) / one.length // µs of CPU per second
  const slope = one.reduce((a, r) => a + (r.forwardedPps - mx) * (r.cpuPct * 1e4 - my), 0) /
    one.reduce((a, r) => a + (r.forwardedPps - mx) ** 2, 0)
  await engine.exit()
  const f = (n: number, d = 1): string => n.toFixed(d)
  const lines = [
    `## ${new Date().toISOString()}`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with other work).`,
    `Each publisher: ${PPS} packets/s of ${BYTES}-byte payloads; measured for ${SECONDS} s, starting 2 s after every subscriber had received its first packet; SFU alone in a child process.`,
    `Baseline (same run): 1 publisher, 0 subscribers: SFU ${f(base.cpuPct)} % of a core for ingest only. "µs above baseline" subtracts that ingest cost (scaled per publisher).`,
    '',
    '| publishers × subscribers each | sent pkt/s | forwarded pkt/s | SFU CPU % of a core | CPU µs / forwarded pkt (all-in) | µs above baseline | pkt/s per core (all-in) | loss | load-generator CPU % | subscribers whose set-up failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.publishers} × ${r.subsEach} | ${f(r.sentPps, 0)} | ${f(r.forwardedPps, 0)} | ${f(r.cpuPct)} | ${r.subsEach ? f(r.usAll) : '–'} | ${r.subsEach ? f(r.usAbove) : '–'} | ${r.subsEach ? f(r.perCore, 0) : '–'} | ${r.subsEach ? f(r.loss * 100, 2) + ' %' : '–'} | ${f(r.clientCpuPct)} | ${r.failed} |`),
    '',
    '',
    `Heavier load (2 publishers × 16 subscribers, ${PPS * 4} packets/s each): ` + heavy.map((r) =>
      `sent ${f(r.sentPps, 0)} pkt/s, forwarded ${f(r.forwardedPps, 0)} pkt/s, SFU ${f(r.cpuPct)} % of a core, ${f(r.usAll)} µs/pkt all-in, loss ${f(r.loss * 100, 2)} %, load generator ${f(r.clientCpuPct)} %, ${r.failed} subscribers failed set-up.`).join(' '),
    '',
    `Marginal cost (least-squares slope over the one-publisher rows): **${f(slope)} µs of SFU CPU per forwarded packet**, i.e. ~${f(1e6 / slope, 0)} forwarded packets/s per core before fixed costs.`
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

main().catch((err) => { console.error(err); process.exit(1) })
