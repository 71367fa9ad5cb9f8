import dgram from 'node:dgram'
import { cpus } from 'node:os'
import { issueTurnCredentials } from '../../turn/credentials.js'
import { TurnTestClient } from '../../test/turn/turn-client.js'
import { BENCH_SECRET, cpuSeconds, startBundled, startCoturn, type RunningTurn } from './servers.js'

/**
 * Relayed packets per second per core and CPU per relayed packet, bundled
 * TURN vs coturn in the same run, on loopback. K clients each hold an
 * allocation with a channel to their own UDP peer; media goes both ways
 * (client ChannelData -> peer, peer -> relay -> client ChannelData).
 *   npx tsx benchmarks/turn/throughput.ts [--levels 2000,5000,10000,20000] [--seconds 10] [--size 1000] [--clients 8]
 */
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : def
}
const levels = arg('levels', '2000,5000,10000,20000').split(',').map(Number)
const seconds = Number(arg('seconds', '10'))
const size = Number(arg('size', '1000'))
const K = Number(arg('clients', '8'))
const which = arg('server', 'both')

interface Row { server: string, offeredPps: number, relayedPps: number, lossPct: number, serverCpuPct: number, usPerPacket: number, ppsPerCore: number, generatorCpuPct: number }

async function setup (turn: RunningTurn): Promise<{ clients: TurnTestClient[], peers: dgram.Socket[], relays: Array<{ address: string, port: number }>, close(): void }> {
  const clients: TurnTestClient[] = []
  const peers: dgram.Socket[] = []
  const relays: Array<{ address: string, port: number }> = []
  for (let i = 0; i < K; i++) {
    const cred = issueTurnCredentials({ participantId: `bench-${i}`, ttlSeconds: 3600 }, { secret: BENCH_SECRET, urls: ['turn:x'], maxTtlSeconds: 86400 })
    const c = await TurnTestClient.connect({ server: { address: '127.0.0.1', port: turn.port }, username: cred.username, password: cred.credential })
    const res = await c.allocate()
    const relay = c.relayedAddress(res)
    const peer = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 22, sendBufferSize: 1 << 22 })
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve))
    const bound = await c.channelBind(0x4000, { address: '127.0.0.1', port: peer.address().port })
    if (bound.cls !== 2) throw new Error(`channel bind failed on ${turn.name}`)
    clients.push(c); peers.push(peer); relays.push(relay)
  }
  return { clients, peers, relays, close () { for (const c of clients) c.close(); for (const p of peers) p.close() } }
}

async function measure (turn: RunningTurn, offered: number): Promise<Row> {
  const { clients, peers, relays, close } = await setup(turn)
  let received = 0
  for (const p of peers) p.on('message', () => { received++ })
  for (const c of clients) c.on('channel', () => { received++ })
  const payload = Buffer.alloc(size, 0x80)
  // Half the packets each way, spread over the clients, in 5 ms ticks.
  const perTick = offered / 200
  let carry = 0
  let sent = 0
  const warmup = new Promise((resolve) => setTimeout(resolve, 1000))
  const timer = setInterval(() => {
    carry += perTick
    const n = Math.floor(carry)
    carry -= n
    for (let i = 0; i < n; i++) {
      const k = (sent >> 1) % K
      if (sent % 2 === 0) clients[k].sendChannel(0x4000, payload)
      else peers[k].send(payload, relays[k].port, relays[k].address)
      sent++
    }
  }, 5)
  await warmup
  const r0 = received; const s0 = sent; const c0 = cpuSeconds(turn.pid); const g0 = process.cpuUsage(); const t0 = Date.now()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const r1 = received; const s1 = sent; const c1 = cpuSeconds(turn.pid); const g1 = process.cpuUsage(g0); const t1 = Date.now()
  clearInterval(timer)
  await new Promise((resolve) => setTimeout(resolve, 300))
  close()
  const wall = (t1 - t0) / 1000
  const relayed = (r1 - r0) / wall
  const cpu = (c1 - c0) / wall
  return {
    server: turn.name,
    offeredPps: Math.round((s1 - s0) / wall),
    relayedPps: Math.round(relayed),
    lossPct: Math.round((1 - (r1 - r0) / Math.max(1, s1 - s0)) * 1000) / 10,
    serverCpuPct: Math.round(cpu * 1000) / 10,
    usPerPacket: Math.round((cpu / Math.max(1, relayed)) * 1e7) / 10,
    ppsPerCore: Math.round(relayed / Math.max(cpu, 0.001)),
    generatorCpuPct: Math.round(((g1.user + g1.system) / 1e6 / wall) * 1000) / 10
  }
}

const rows: Row[] = []
for (const level of levels) {
  // Same run, alternating servers at each level, so drift on the shared machine hits both.
  for (const name of which === 'both' ? ['bundled', 'coturn'] : [which]) {
    const turn = name === 'coturn' ? await startCoturn() : await startBundled()
    try { rows.push(await measure(turn, level)) } finally { await turn.stop() }
    process.stdout.write(`${JSON.stringify(rows[rows.length - 1])}\n`)
  }
}
process.stdout.write(`\nmachine: ${cpus().length} x ${cpus()[0]?.model}; payload ${size} B; ${K} allocations; ${seconds} s per level\n`)
process.stdout.write('| server | offered pps | relayed pps | loss % | server CPU % of a core | µs CPU per relayed packet | relayed pps per core | generator CPU % |\n|---|---|---|---|---|---|---|---|\n')
for (const r of rows) process.stdout.write(`| ${r.server} | ${r.offeredPps} | ${r.relayedPps} | ${r.lossPct} | ${r.serverCpuPct} | ${r.usPerPacket} | ${r.ppsPerCore} | ${r.generatorCpuPct} |\n`)
