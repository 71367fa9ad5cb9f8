import dgram from 'node:dgram'
import net from 'node:net'
import { test } from 'tap'
import { client, creds, peer, sleep, startTurn } from './helpers.js'
import { ATTR, CLASS, METHOD, channelAttr, channelData, encode, longTermKey, u32, xorAddress, type Attr } from './turn-client.js'

/** Deterministic so a failure can be replayed (mulberry32). */
function rng (seed: number): () => number {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const KNOWN = [0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x000C, 0x000D, 0x0012, 0x0013, 0x0014, 0x0015, 0x0016, 0x0018,
  0x0019, 0x001A, 0x0020, 0x0022, 0x8022, 0x8023, 0x8028, 0x0017, 0xC057, 0x7FFF, 0xFFFF]

function malformed (r: () => number, valid: Buffer[]): Buffer {
  const int = (n: number): number => Math.floor(r() * n)
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)))
  switch (int(8)) {
    case 0: return bytes(int(200))
    case 1: { // valid header, random attributes with lying lengths
      const attrs: Attr[] = Array.from({ length: int(6) }, () => ({ type: KNOWN[int(KNOWN.length)], value: bytes(int(3) === 0 ? 0 : int(40)) }))
      const m = encode(1 + int(10), int(4), attrs, { fingerprint: r() < 0.5 })
      if (r() < 0.5 && m.length > 24) m.writeUInt16BE(int(65536), 22) // one attribute length lies
      if (r() < 0.3) m.writeUInt16BE(int(65536), 2)
      return m
    }
    case 2: { // truncated valid message
      const v = valid[int(valid.length)]
      return v.subarray(0, int(v.length))
    }
    case 3: { // bit flips in a valid message
      const v = Buffer.from(valid[int(valid.length)])
      for (let i = 0, n = 1 + int(4); i < n; i++) v[int(v.length)] ^= 1 << int(8)
      return v
    }
    case 4: { // ChannelData with bad channel/length
      const m = channelData(0x4000 + int(0x4000), bytes(int(60)))
      if (r() < 0.5) m.writeUInt16BE(int(65536), 2)
      return r() < 0.3 ? m.subarray(0, int(4)) : m
    }
    case 5: { // attributes whose values node-turn reads with fixed sizes
      const t = [ATTR.LIFETIME, ATTR.CHANNEL_NUMBER, ATTR.XOR_PEER_ADDRESS, ATTR.REQUESTED_TRANSPORT, ATTR.ERROR_CODE, ATTR.FINGERPRINT, 0x0018, 0x0022][int(8)]
      return encode([METHOD.ALLOCATE, METHOD.REFRESH, METHOD.CHANNEL_BIND, METHOD.CREATE_PERMISSION][int(4)], CLASS.REQUEST, [{ type: t, value: bytes(int(25)) }])
    }
    case 6: { // XOR-PEER-ADDRESS with bad family / short, in Send indications
      const a = xorAddress({ address: '127.0.0.1', port: 1 + int(65535) }, Buffer.alloc(12))
      a[1] = int(256)
      return encode(METHOD.SEND, CLASS.INDICATION, [{ type: ATTR.XOR_PEER_ADDRESS, value: a.subarray(0, int(a.length + 1)) }, { type: ATTR.DATA, value: bytes(int(30)) }])
    }
    default: { // signed-looking requests with a wrong key and random usernames
      const user = r() < 0.5 ? creds(`fuzz-${int(1000)}`).username : bytes(int(30)).toString('latin1')
      return encode(METHOD.ALLOCATE, CLASS.REQUEST, [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) },
        { type: ATTR.USERNAME, value: Buffer.from(user) }, { type: ATTR.REALM, value: Buffer.from('bedside-test') },
        { type: ATTR.NONCE, value: bytes(34) }], { key: longTermKey(user, 'bedside-test', 'x'), fingerprint: r() < 0.5 })
    }
  }
}

test('thousands of malformed packets: the server stays up and keeps relaying an established call', async (t) => {
  const { addr, tcp, server } = await startTurn(t)
  const p = await peer(t)
  const c = await client(t, addr)
  const relayed = c.relayedAddress(await c.allocate())
  t.equal((await c.channelBind(0x4000, p.addr)).cls, CLASS.SUCCESS)

  const valid = [
    encode(METHOD.ALLOCATE, CLASS.REQUEST, [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) }], { fingerprint: true }),
    encode(METHOD.BINDING, CLASS.REQUEST, [], { fingerprint: true }),
    encode(METHOD.REFRESH, CLASS.REQUEST, [{ type: ATTR.LIFETIME, value: u32(0) }], { key: c.key, fingerprint: true }),
    encode(METHOD.CHANNEL_BIND, CLASS.REQUEST, [channelAttr(0x4001), { type: ATTR.XOR_PEER_ADDRESS, value: xorAddress(p.addr, Buffer.alloc(12)) }], { key: c.key }),
    channelData(0x4000, Buffer.from('valid channel data'))
  ]

  // The call: media both ways all through the flood.
  let toPeer = 0
  let toClient = 0
  const arrivals: number[] = []
  p.sock.on('message', (d) => { toPeer++; if (d.length === 160) arrivals.push(Date.now()) })
  c.on('channel', () => { toClient++ })
  const floodStart = Date.now()
  const media = setInterval(() => {
    c.sendChannel(0x4000, Buffer.alloc(160, 0x80))
    p.sock.send(Buffer.alloc(160, 0x80), relayed.port, relayed.address)
  }, 5)

  const r = rng(20261204)
  const fuzzers = await Promise.all(Array.from({ length: 4 }, async () => {
    const s = dgram.createSocket('udp4'); s.bind(0, '127.0.0.1'); await new Promise((resolve) => s.once('listening', resolve)); return s
  }))
  t.teardown(() => { for (const s of fuzzers) s.close() })
  const COUNT = 20_000
  for (let i = 0; i < COUNT; i++) {
    const pkt = malformed(r, valid)
    const roll = r()
    if (roll < 0.1) c.sendRaw(pkt) // from the established client's own 5-tuple
    else if (roll < 0.2) p.sock.send(pkt, relayed.port, relayed.address) // at the relay, from a permitted peer
    else fuzzers[i % fuzzers.length].send(pkt, addr.port, addr.address)
    if (i % 200 === 0) await sleep(2)
  }
  // Garbage over TCP too: each connection must be dropped without harm.
  for (let i = 0; i < 50; i++) {
    const s = net.connect(tcp!.port, tcp!.address)
    s.on('error', () => {})
    s.write(Buffer.concat(Array.from({ length: 20 }, () => malformed(r, valid))))
    s.end()
  }
  const floodEnd = Date.now()
  await sleep(500)
  clearInterval(media)

  // The client's media shares the listening socket with the flood, so some is lost; it must keep arriving throughout.
  const mid = (floodStart + floodEnd) / 2
  t.ok(arrivals.some((x) => x < mid) && arrivals.some((x) => x >= mid && x <= floodEnd + 100), `client media reached the peer in both halves of the flood (${arrivals.length} packets)`)
  t.ok(toPeer > 20, `media reached the peer during the flood (${toPeer})`)
  t.ok(toClient > 100, `media reached the client during the flood (${toClient})`)
  const stats = server.stats()
  t.comment(JSON.stringify(stats))
  t.ok(stats.malformed > 1000, `malformed datagrams counted (${stats.malformed})`)
  t.equal(stats.running, true)
  t.equal(stats.allocations, 1, 'the flood created no allocation and ended none')

  // Still relaying, and still answering requests, after the flood.
  const arrived = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000)
    p.sock.on('message', (d) => { if (d.toString() === 'after the flood') { clearTimeout(timer); resolve(true) } })
  })
  c.sendChannel(0x4000, Buffer.from('after the flood'))
  t.ok(await arrived, 'client ChannelData still reaches the peer')
  // Late flood datagrams may still come back first: wait for this one.
  const back = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000)
    c.on('channel', (_n: number, d: Buffer) => { if (d.toString() === 'back') { clearTimeout(timer); resolve(true) } })
  })
  p.sock.send(Buffer.from('back'), relayed.port, relayed.address)
  t.ok(await back, 'peer data still reaches the client')
  t.equal((await c.refresh()).cls, CLASS.SUCCESS)
  const fresh = await client(t, addr, creds('after-fuzz'))
  t.equal((await fresh.allocate()).cls, CLASS.SUCCESS, 'new clients are served')
})
