import { createHash, createHmac, randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'

/**
 * A small, independent STUN/TURN client for tests (RFC 8489/8656), written
 * from the RFCs rather than from node-turn so it checks the server instead of
 * agreeing with it: it verifies MESSAGE-INTEGRITY on every answer.
 */

export const METHOD = { BINDING: 1, ALLOCATE: 3, REFRESH: 4, SEND: 6, DATA: 7, CREATE_PERMISSION: 8, CHANNEL_BIND: 9 } as const
export const CLASS = { REQUEST: 0, INDICATION: 1, SUCCESS: 2, ERROR: 3 } as const
export const ATTR = {
  USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, CHANNEL_NUMBER: 0x000C, LIFETIME: 0x000D,
  XOR_PEER_ADDRESS: 0x0012, DATA: 0x0013, REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019, XOR_MAPPED_ADDRESS: 0x0020, SOFTWARE: 0x8022, FINGERPRINT: 0x8028
} as const
const COOKIE = 0x2112A442

export interface Attr { type: number, value: Buffer }
export interface StunMessage { method: number, cls: number, txid: Buffer, attrs: Attr[], raw: Buffer }
export interface Addr { address: string, port: number }

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32 (buf: Buffer): number {
  let c = 0xFFFFFFFF
  for (const b of buf) c = crcTable[(c ^ b) & 0xFF] ^ (c >>> 8)
  return (c ^ 0xFFFFFFFF) >>> 0
}

export const longTermKey = (username: string, realm: string, password: string): Buffer =>
  createHash('md5').update(`${username}:${realm}:${password}`).digest()

export function encode (method: number, cls: number, attrs: Attr[], o: { txid?: Buffer, key?: Buffer, fingerprint?: boolean } = {}): Buffer {
  const txid = o.txid ?? randomBytes(12)
  const type = (method & 0xF) | ((method & 0x70) << 1) | ((method & 0xF80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7)
  const body = Buffer.concat(attrs.map((a) => {
    const h = Buffer.alloc(4); h.writeUInt16BE(a.type, 0); h.writeUInt16BE(a.value.length, 2)
    return Buffer.concat([h, a.value, Buffer.alloc((4 - (a.value.length % 4)) % 4)])
  }))
  const header = (len: number): Buffer => {
    const h = Buffer.alloc(20); h.writeUInt16BE(type, 0); h.writeUInt16BE(len, 2); h.writeUInt32BE(COOKIE, 4); txid.copy(h, 8); return h
  }
  let msg = Buffer.concat([header(body.length), body])
  if (o.key) {
    const mac = createHmac('sha1', o.key).update(Buffer.concat([header(body.length + 24), body])).digest()
    const a = Buffer.alloc(4); a.writeUInt16BE(ATTR.MESSAGE_INTEGRITY, 0); a.writeUInt16BE(20, 2)
    msg = Buffer.concat([header(body.length + 24), body, a, mac])
  }
  if (o.fingerprint) {
    const len = msg.length - 20 + 8
    msg.writeUInt16BE(len, 2)
    const fp = Buffer.alloc(8); fp.writeUInt16BE(ATTR.FINGERPRINT, 0); fp.writeUInt16BE(4, 2)
    fp.writeUInt32BE((crc32(msg) ^ 0x5354554E) >>> 0, 4)
    msg = Buffer.concat([msg, fp])
  }
  return msg
}

export function decode (buf: Buffer): StunMessage | undefined {
  if (buf.length < 20 || buf[0] >> 6 !== 0 || buf.readUInt32BE(4) !== COOKIE) return undefined
  const type = buf.readUInt16BE(0)
  const method = (type & 0xF) | ((type >> 1) & 0x70) | ((type >> 2) & 0xF80)
  const cls = ((type >> 4) & 1) | ((type >> 7) & 2)
  const attrs: Attr[] = []
  let off = 20
  const end = 20 + buf.readUInt16BE(2)
  while (off + 4 <= end) {
    const t = buf.readUInt16BE(off); const l = buf.readUInt16BE(off + 2)
    attrs.push({ type: t, value: buf.subarray(off + 4, off + 4 + l) })
    off += 4 + l + ((4 - (l % 4)) % 4)
  }
  return { method, cls, txid: buf.subarray(8, 20), attrs, raw: buf.subarray(0, end) }
}

export const attr = (m: StunMessage, type: number): Buffer | undefined => m.attrs.find((a) => a.type === type)?.value

export function errorCode (m: StunMessage): number | undefined {
  const v = attr(m, ATTR.ERROR_CODE)
  return v === undefined ? undefined : (v[2] & 7) * 100 + v[3]
}

/** True when the message carries a MESSAGE-INTEGRITY that matches key. */
export function integrityOk (m: StunMessage, key: Buffer): boolean {
  let off = 20
  while (off + 4 <= m.raw.length) {
    const t = m.raw.readUInt16BE(off); const l = m.raw.readUInt16BE(off + 2)
    if (t === ATTR.MESSAGE_INTEGRITY) {
      const head = Buffer.from(m.raw.subarray(0, off))
      head.writeUInt16BE(off - 20 + 24, 2)
      return createHmac('sha1', key).update(head).digest().equals(m.raw.subarray(off + 4, off + 24))
    }
    off += 4 + l + ((4 - (l % 4)) % 4)
  }
  return false
}

export function xorAddress (a: Addr, txid: Buffer): Buffer {
  const v6 = net.isIPv6(a.address)
  const out = Buffer.alloc(v6 ? 20 : 8)
  out[1] = v6 ? 2 : 1
  out.writeUInt16BE(a.port ^ (COOKIE >>> 16), 2)
  const key = Buffer.alloc(16); key.writeUInt32BE(COOKIE, 0); txid.copy(key, 4)
  if (!v6) {
    a.address.split('.').forEach((b, i) => { out[4 + i] = Number(b) ^ key[i] })
  } else {
    const full = expand6(a.address)
    for (let i = 0; i < 8; i++) out.writeUInt16BE(full[i] ^ key.readUInt16BE(i * 2), 4 + i * 2)
  }
  return out
}

function expand6 (s: string): number[] {
  const [l, r] = s.split('::')
  const left = l ? l.split(':') : []
  const right = r !== undefined && r !== '' ? r.split(':') : []
  const mid = Array(8 - left.length - right.length).fill('0')
  return [...left, ...(r !== undefined ? mid : []), ...right].map((x) => parseInt(x, 16))
}

export function readXorAddress (v: Buffer, txid: Buffer): Addr {
  const port = v.readUInt16BE(2) ^ (COOKIE >>> 16)
  const key = Buffer.alloc(16); key.writeUInt32BE(COOKIE, 0); txid.copy(key, 4)
  if (v[1] === 1) return { address: [0, 1, 2, 3].map((i) => v[4 + i] ^ key[i]).join('.'), port }
  const parts = []
  for (let i = 0; i < 8; i++) parts.push((v.readUInt16BE(4 + i * 2) ^ key.readUInt16BE(i * 2)).toString(16))
  return { address: parts.join(':'), port }
}

export function channelData (channel: number, data: Buffer, pad = false): Buffer {
  const h = Buffer.alloc(4); h.writeUInt16BE(channel, 0); h.writeUInt16BE(data.length, 2)
  return Buffer.concat([h, data, Buffer.alloc(pad ? (4 - (data.length % 4)) % 4 : 0)])
}

export const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n, 0); return b }
export const channelAttr = (n: number): Attr => { const b = Buffer.alloc(4); b.writeUInt16BE(n, 0); return { type: ATTR.CHANNEL_NUMBER, value: b } }

export interface ClientOptions { server: Addr, username?: string, password?: string, transport?: 'udp' | 'tcp' | 'tls', timeoutMs?: number }

/**
 * One TURN client 5-tuple. Emits 'channel' (channel, data) and 'data'
 * (peer, data) for relayed traffic.
 */
export class TurnTestClient extends EventEmitter {
  realm?: string
  nonce?: string
  key?: Buffer
  private waiting = new Map<string, (m: StunMessage) => void>()
  private udp?: dgram.Socket
  private stream?: net.Socket
  private pending: Buffer = Buffer.alloc(0)

  private constructor (readonly o: ClientOptions) { super() }

  static async connect (o: ClientOptions): Promise<TurnTestClient> {
    const c = new TurnTestClient(o)
    if ((o.transport ?? 'udp') === 'udp') {
      c.udp = dgram.createSocket('udp4')
      c.udp.on('message', (m) => c.onPacket(m))
      await new Promise<void>((resolve) => c.udp!.bind(0, '127.0.0.1', resolve))
    } else {
      const s = o.transport === 'tls'
        ? tls.connect({ host: o.server.address, port: o.server.port, rejectUnauthorized: false })
        : net.connect({ host: o.server.address, port: o.server.port })
      await new Promise<void>((resolve, reject) => { s.once(o.transport === 'tls' ? 'secureConnect' : 'connect', resolve); s.once('error', reject) })
      s.on('error', () => {})
      s.on('data', (d: Buffer) => c.onStream(d))
      c.stream = s
    }
    return c
  }

  get localPort (): number { return this.udp ? this.udp.address().port : this.stream!.localPort! }

  private onStream (d: Buffer): void {
    this.pending = Buffer.concat([this.pending, d])
    while (this.pending.length >= 4) {
      const top = this.pending[0] >> 6
      const size = top === 0 ? 20 + this.pending.readUInt16BE(2) : 4 + ((this.pending.readUInt16BE(2) + 3) & ~3)
      if (this.pending.length < size) return
      this.onPacket(this.pending.subarray(0, size))
      this.pending = this.pending.subarray(size)
    }
  }

  private onPacket (buf: Buffer): void {
    if (buf.length >= 4 && buf[0] >> 6 === 1) {
      const len = buf.readUInt16BE(2)
      this.emit('channel', buf.readUInt16BE(0), buf.subarray(4, 4 + len))
      return
    }
    const m = decode(buf)
    if (!m) return
    if (m.cls === CLASS.INDICATION && m.method === METHOD.DATA) {
      const peer = attr(m, ATTR.XOR_PEER_ADDRESS); const data = attr(m, ATTR.DATA)
      if (peer && data) this.emit('data', readXorAddress(peer, m.txid), data)
      return
    }
    const done = this.waiting.get(m.txid.toString('hex'))
    if (done) { this.waiting.delete(m.txid.toString('hex')); done(m) }
  }

  sendRaw (buf: Buffer): void {
    if (this.udp) this.udp.send(buf, this.o.server.port, this.o.server.address)
    else this.stream!.write(buf)
  }

  /** Sends a request (retransmitting over UDP) and resolves with the answer; MESSAGE-INTEGRITY is added once credentials are known. */
  async request (method: number, attrsOrBuild: Attr[] | ((txid: Buffer) => Attr[]), o: { auth?: boolean, fingerprint?: boolean } = {}): Promise<StunMessage> {
    const txid = randomBytes(12)
    const attrs = typeof attrsOrBuild === 'function' ? attrsOrBuild(txid) : attrsOrBuild
    const auth = o.auth !== false && this.key !== undefined
    const all = auth
      ? [...attrs, { type: ATTR.USERNAME, value: Buffer.from(this.o.username!) }, { type: ATTR.REALM, value: Buffer.from(this.realm!) }, { type: ATTR.NONCE, value: Buffer.from(this.nonce!) }]
      : attrs
    const buf = encode(method, CLASS.REQUEST, all, { txid, key: auth ? this.key : undefined, fingerprint: o.fingerprint ?? true })
    const answer = new Promise<StunMessage>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(txid.toString('hex')); reject(new Error(`no answer to method ${method}`)) }, this.o.timeoutMs ?? 3000)
      this.waiting.set(txid.toString('hex'), (m) => { clearTimeout(timer); resolve(m) })
    })
    this.sendRaw(buf)
    const resend = this.udp ? setInterval(() => this.sendRaw(buf), 500) : undefined
    try { return await answer } finally { clearInterval(resend) }
  }

  /** Request with the long-term mechanism: learns realm/nonce from a 401 or 438 and retries once. */
  async authed (method: number, attrs: Attr[] | ((txid: Buffer) => Attr[])): Promise<StunMessage> {
    let res = await this.request(method, attrs)
    const code = errorCode(res)
    if (res.cls === CLASS.ERROR && (code === 401 || code === 438) && attr(res, ATTR.NONCE) && this.o.username !== undefined && (this.key === undefined || code === 438)) {
      this.realm = attr(res, ATTR.REALM)!.toString()
      this.nonce = attr(res, ATTR.NONCE)!.toString()
      this.key = longTermKey(this.o.username, this.realm, this.o.password ?? '')
      res = await this.request(method, attrs)
    }
    return res
  }

  async allocate (extra: Attr[] = []): Promise<StunMessage> {
    return this.authed(METHOD.ALLOCATE, [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) }, ...extra])
  }

  relayedAddress (m: StunMessage): Addr { return readXorAddress(attr(m, ATTR.XOR_RELAYED_ADDRESS)!, m.txid) }

  peerAttr (peer: Addr, txid: Buffer = Buffer.alloc(12)): Attr { return { type: ATTR.XOR_PEER_ADDRESS, value: xorAddress(peer, txid) } }

  async createPermission (...peers: Addr[]): Promise<StunMessage> {
    // XOR-PEER-ADDRESS for IPv6 depends on the transaction id, so build it per attempt.
    return this.authedWith(METHOD.CREATE_PERMISSION, (txid) => peers.map((p) => this.peerAttr(p, txid)))
  }

  async channelBind (channel: number, peer: Addr): Promise<StunMessage> {
    return this.authedWith(METHOD.CHANNEL_BIND, (txid) => [channelAttr(channel), this.peerAttr(peer, txid)])
  }

  private async authedWith (method: number, build: (txid: Buffer) => Attr[]): Promise<StunMessage> {
    return this.authed(method, build)
  }

  async refresh (lifetime?: number): Promise<StunMessage> {
    return this.authed(METHOD.REFRESH, lifetime === undefined ? [] : [{ type: ATTR.LIFETIME, value: u32(lifetime) }])
  }

  sendIndication (peer: Addr, data: Buffer): void {
    const txid = randomBytes(12)
    this.sendRaw(encode(METHOD.SEND, CLASS.INDICATION, [{ type: ATTR.XOR_PEER_ADDRESS, value: xorAddress(peer, txid) }, { type: ATTR.DATA, value: data }], { txid }))
  }

  sendChannel (channel: number, data: Buffer): void {
    this.sendRaw(channelData(channel, data, this.stream !== undefined))
  }

  close (): void {
    this.udp?.close()
    this.stream?.destroy()
  }
}
