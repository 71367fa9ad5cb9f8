/**
 * Forwarding capacity of one mediasoup worker: synthetic VP8 RTP producers
 * (PlainTransport, fed by a Node UDP socket at a fixed rate) fanned out to
 * PlainTransport consumers that send to local UDP sockets we count. Worker CPU
 * comes from worker.getResourceUsage() (user + system); the Node side is the
 * load generator. Baseline, same run: 1 producer, 0 consumers.
 * Run: MEDIASOUP_WORKER_BIN=... [MEDIASOUP_MODULE=...] npx tsx benchmarks/media/mediasoup-forwarding.ts [seconds]
 * BENCH_ROWS=2x16,4x32x300 runs only those rows (x packets/s per producer); BENCH_SRTP=0 sends consumers plain RTP.
 */
import { createSocket, type Socket } from 'node:dgram'
import { loadavg } from 'node:os'
import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { loadMediasoup } from '../../media/mediasoup/workers.js'
import { machine } from '../machine.js'

const SECONDS = Number(process.argv[2] ?? 10)
const PPS = 100 // per producer: a 640x480 camera sends ~100-120 packets/s
const BYTES = 1000
const PT = 101
// Consumers encrypt (as a WebRTC transport would, and as werift's numbers include); receivers only count.
const SRTP = process.env.BENCH_SRTP !== '0'
const ROUTER_CODECS = [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 }]

// The slice of mediasoup 3.19's API used here (it is an optional dependency; see media/mediasoup/ms-types.ts).
interface Srtp { cryptoSuite: string; keyBase64: string }
interface Plain {
  tuple: { localPort: number }
  connect (o: { ip: string; port: number; srtpParameters?: Srtp }): Promise<void>
  produce (o: unknown): Promise<{ id: string; getStats (): Promise<{ packetCount: number }[]> }>
  consume (o: unknown): Promise<{ rtpParameters: { encodings?: { ssrc?: number }[] } }>
  close (): void
}
interface Router { rtpCapabilities: unknown; createPlainTransport (o: unknown): Promise<Plain> }
interface Worker {
  pid: number
  close (): void
  createRouter (o: unknown): Promise<Router>
  getResourceUsage (): Promise<{ ru_utime: number; ru_stime: number }>
  on (e: 'died', l: (err: Error) => void): unknown
}

interface Row {
  producers: number; consumersEach: number; pps: number; sentPps: number; forwardedPps: number; cpuPct: number
  genCpuPct: number; usAll: number; usAbove: number; meanLoss: number; worstLoss: number; silent: number; ingressLoss: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A VP8 packet as Chromium shapes it: extended descriptor with a 15-bit picture id; 5 packets a frame, a key frame each second. */
function rtpPacket (ssrc: number, seq: number, pps: number): Buffer {
  const perFrame = 5
  const frame = Math.floor(seq / perFrame)
  const first = seq % perFrame === 0
  const key = first && frame % Math.round(pps / perFrame) === 0
  const b = Buffer.alloc(12 + BYTES)
  b[0] = 0x80
  b[1] = (seq % perFrame === perFrame - 1 ? 0x80 : 0) | PT
  b.writeUInt16BE(seq & 0xffff, 2)
  b.writeUInt32BE((frame * 90000 / (pps / perFrame)) >>> 0, 4)
  b.writeUInt32BE(ssrc, 8)
  b[12] = 0x80 | (first ? 0x10 : 0) // X, S; partition 0
  b[13] = 0x80 // I: picture id follows
  b.writeUInt16BE(0x8000 | (frame & 0x7fff), 14)
  if (first) { b[16] = key ? 0x00 : 0x01; if (key) b.set([0x9d, 0x01, 0x2a], 19) }
  return b
}

async function bind (): Promise<Socket> {
  // Room for bursts while the load generator's event loop is busy (the kernel caps it at net.core.rmem_max).
  const s = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 })
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  return s
}

async function step (worker: Worker, router: Router, producers: number, consumersEach: number, base?: Row, pps = PPS): Promise<Row> {
  const transports: Plain[] = []
  const sockets: Socket[] = []
  const sent: number[] = []
  const received: number[][] = []
  const senders: { sock: Socket; port: number; ssrc: number; ingress (): Promise<number> }[] = []
  for (let p = 0; p < producers; p++) {
    const sock = await bind()
    sockets.push(sock)
    const t = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false })
    transports.push(t)
    await t.connect({ ip: '127.0.0.1', port: sock.address().port })
    const ssrc = 0x1000 + p
    const producer = await t.produce({
      kind: 'video',
      rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: PT, clockRate: 90000, rtcpFeedback: [] }], encodings: [{ ssrc }] }
    })
    senders.push({ sock, port: t.tuple.localPort, ssrc, ingress: async () => (await producer.getStats())[0]?.packetCount ?? 0 })
    sent.push(0)
    received.push([])
    for (let c = 0; c < consumersEach; c++) {
      const rs = await bind()
      sockets.push(rs)
      const i = received[p]!.push(0) - 1
      // Count the consumer's media only: RTCP shares the port, and mediasoup adds bandwidth probes (ssrc 1234).
      let ssrc = -1
      rs.on('message', (m) => { if (m.length > 12 && m.readUInt32BE(8) === ssrc) received[p]![i]!++ })
      const ct = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false, enableSrtp: SRTP
      })
      transports.push(ct)
      const srtpParameters = SRTP ? { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: randomBytes(30).toString('base64') } : undefined
      await ct.connect({ ip: '127.0.0.1', port: rs.address().port, ...(srtpParameters ? { srtpParameters } : {}) })
      const consumer = await ct.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: false })
      ssrc = consumer.rtpParameters.encodings?.[0]?.ssrc ?? -1
    }
  }
  // Fixed rate whatever the timer jitter: each tick sends what the clock says is due.
  let start = performance.now()
  let paused = false
  const timer = setInterval(() => {
    if (paused) return
    const due = Math.floor((performance.now() - start) / 1000 * pps)
    for (const [p, s] of senders.entries()) {
      while (sent[p]! < due) s.sock.send(rtpPacket(s.ssrc, sent[p]!++, pps), s.port, '127.0.0.1')
    }
  }, 5)
  const total = (): number[] => received.flat()
  // Measure forwarding, not start-up: a video consumer waits for a key frame (one a second).
  const until = Date.now() + 15_000
  while (Date.now() < until && total().some((n) => n === 0)) await sleep(100)
  await sleep(2000) // steady state
  // Loss counts packets sent inside the window: pause the senders at both edges so nothing is in flight when counted.
  paused = true
  await sleep(300)
  const sent0 = [...sent]
  const in0 = await Promise.all(senders.map((x) => x.ingress()))
  const recv0 = received.map((r) => [...r])
  const r0 = await worker.getResourceUsage()
  const t0 = process.hrtime.bigint()
  const g0 = process.cpuUsage()
  start = performance.now() - sent[0]! / pps * 1000
  paused = false
  await sleep(SECONDS * 1000)
  paused = true
  const r1 = await worker.getResourceUsage()
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000
  const g1 = process.cpuUsage(g0)
  const sent1 = [...sent]
  await sleep(300)
  const recv1 = received.map((r) => [...r])
  const in1 = await Promise.all(senders.map((x) => x.ingress()))
  clearInterval(timer)
  for (const t of transports) t.close()
  for (const s of sockets) s.close()

  const losses = recv1.flatMap((r, p) => r.map((n, i) => Math.max(0, 1 - (n - recv0[p]![i]!) / (sent1[p]! - sent0[p]!))))
  if (process.env.BENCH_DEBUG) process.stderr.write(`worker ingress / sent per producer: ${in1.map((n, p) => `${n - in0[p]!}/${sent1[p]! - sent0[p]!}`).join(' ')}\n`)
  if (process.env.BENCH_DEBUG) process.stderr.write(`per-consumer loss: ${losses.map((l) => l.toFixed(3)).join(' ')}\n`)
  const forwarded = recv1.flat().reduce((a, b) => a + b, 0) - recv0.flat().reduce((a, b) => a + b, 0)
  const cpuUs = ((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)) * 1000
  const baseUs = base ? base.cpuPct / 100 * wallUs * producers : 0
  const usAll = forwarded > 0 ? cpuUs / forwarded : 0
  return {
    producers, consumersEach, pps,
    sentPps: (sent1.reduce((a, b) => a + b, 0) - sent0.reduce((a, b) => a + b, 0)) / (wallUs / 1e6),
    forwardedPps: forwarded / (wallUs / 1e6), cpuPct: cpuUs / wallUs * 100, genCpuPct: (g1.user + g1.system) / wallUs * 100,
    usAll, usAbove: forwarded > 0 && base ? (cpuUs - baseUs) / forwarded : 0,
    meanLoss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : 0,
    worstLoss: Math.max(0, ...losses), silent: losses.filter((l) => l === 1).length,
    ingressLoss: 1 - in1.reduce((a, n, p) => a + n - in0[p]!, 0) / sent1.reduce((a, n, p) => a + n - sent0[p]!, 0)
  }
}

/** werift's numbers from the same results file, for the comparison line. */
async function weriftFigures (): Promise<string> {
  const text = await readFile(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), 'utf8').catch(() => '')
  const slope = /\*\*([\d.]+) µs of SFU CPU per forwarded packet\*\*/.exec(text)?.[1]
  const row = /^\| 2 × 16 \|(?:[^|]*\|){3}\s*([\d.]+)\s*\|/m.exec(text)?.[1]
  return slope && row ? `werift (same file, first run): ${slope} µs/packet marginal, ${row} µs/packet all-in at 2 × 16` : 'werift figures not found in RESULTS.md'
}

async function main (): Promise<void> {
  const loadStart = loadavg()
  let worker: Worker
  try {
    const ms = await loadMediasoup(process.env.MEDIASOUP_WORKER_BIN, process.env.MEDIASOUP_MODULE)
    worker = await ms.createWorker({ logLevel: 'warn' }) as unknown as Worker
  } catch (err) {
    process.stderr.write(`\n*** SKIPPED: mediasoup forwarding benchmark NOT RUN: ${(err as Error).message.split('\n')[0]}\n` +
      '*** set MEDIASOUP_WORKER_BIN (and MEDIASOUP_MODULE) to a mediasoup build ***\n\n')
    return
  }
  worker.on('died', (err) => { console.error(`mediasoup worker died: ${err.message}`); process.exit(1) })
  const router = await worker.createRouter({ mediaCodecs: ROUTER_CODECS })
  const rows: Row[] = []
  const base = await step(worker, router, 1, 0)
  rows.push(base)
  // BENCH_ROWS=2x16,4x32x300: producers x consumers each [x packets/s per producer].
  const chosen = process.env.BENCH_ROWS?.split(',').map((r) => r.split('x').map(Number))
  for (const [p, c, pps] of chosen ?? [[1, 1], [1, 4], [1, 16], [2, 16], [4, 32]]) rows.push(await step(worker, router, p!, c!, base, pps ?? PPS))
  // Towards saturation: the biggest row at 3x the rate (a 720p+ camera or a screen-share burst).
  if (!chosen) rows.push(await step(worker, router, 4, 32, base, PPS * 3))
  worker.close()

  // Marginal cost: least-squares slope of worker CPU against forwarded packets/s over the one-producer rows.
  const one = rows.filter((r) => r.producers === 1 && r.pps === PPS)
  const mx = one.reduce((a, r) => a + r.forwardedPps, 0) / one.length
  const my = one.reduce((a, r) => a + r.cpuPct * 1e4, 0) / one.length
  const slope = one.reduce((a, r) => a + (r.forwardedPps - mx) * (r.cpuPct * 1e4 - my), 0) /
    one.reduce((a, r) => a + (r.forwardedPps - mx) ** 2, 0)
  const big = rows.filter((r) => r.consumersEach > 0).sort((a, b) => b.forwardedPps - a.forwardedPps)[0]!
  const f = (n: number, d = 1): string => n.toFixed(d)
  const perCoreBig = 1e6 / big.usAll
  const lines = [
    `### ${new Date().toISOString()}`,
    '',
    `Machine: ${machine()}; mediasoup worker pid ${worker.pid}. Load average at start ${loadStart.map((l) => f(l, 2)).join(' ')}, at end ${loadavg().map((l) => f(l, 2)).join(' ')} (shared with other work).`,
    `Each producer: ${PPS} packets/s (VP8, ${BYTES}-byte payloads, 5 packets a frame, key frame each second); consumers ${SRTP ? 'SRTP-encrypted (AES_CM_128_HMAC_SHA1_80)' : 'plain RTP'}; measured for ${SECONDS} s, 2 s after every consumer had received its first packet; senders pause 300 ms at both edges of the window so loss counts exactly the packets sent inside it.`,
    `Baseline (same run): 1 producer, 0 consumers: worker ${f(base.cpuPct, 2)} % of a core. "µs above baseline" subtracts that cost per producer. Worker CPU is getResourceUsage() ru_utime+ru_stime (1 ms resolution).`,
    '',
    '| producers × consumers each | pkt/s per producer | sent pkt/s | forwarded pkt/s | worker CPU % of a core | CPU µs / forwarded pkt (all-in) | µs above baseline | forwarded pkt/s per core (all-in) | loss mean / worst consumer | of which lost before the worker | silent consumers | load-generator CPU % |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => {
      const has = r.consumersEach > 0
      return `| ${r.producers} × ${r.consumersEach} | ${r.pps} | ${f(r.sentPps, 0)} | ${f(r.forwardedPps, 0)} | ${f(r.cpuPct, 2)} | ${has ? f(r.usAll) : '–'} | ${has ? f(r.usAbove) : '–'} | ${has ? f(1e6 / r.usAll, 0) : '–'} | ${has ? `${f(r.meanLoss * 100, 2)} % / ${f(r.worstLoss * 100, 2)} %` : '–'} | ${f(Math.max(0, r.ingressLoss) * 100, 2)} % | ${has ? r.silent : '–'} | ${f(r.genCpuPct)} |`
    }),
    '',
    `Marginal cost (least-squares slope over the one-producer rows at ${PPS} pkt/s): **${f(slope)} µs of worker CPU per forwarded packet**, ~${f(1e6 / slope, 0)} forwarded packets/s per core before fixed costs.`,
    `Beside mediasoup's documented "~500 consumers per worker": at the busiest row's ${f(big.usAll)} µs/packet all-in, one core forwards ~${f(perCoreBig, 0)} packets/s, i.e. ~${f(perCoreBig / PPS, 0)} consumers of a ${PPS} pkt/s camera stream (~${f(1e6 / slope / PPS, 0)} at the marginal cost). ${await weriftFigures()}.`
  ]
  process.stdout.write(lines.join('\n') + '\n')
}

main().catch((err) => { console.error(err); process.exit(1) })
