import dgram from 'node:dgram'
import net from 'node:net'
import tls from 'node:tls'
import type { TurnEngine } from './engine.js'
import type { NtTransport } from './node-turn.js'

/**
 * Client-facing sockets. UDP hands the engine each datagram; TCP and TLS
 * carry a stream of STUN messages and ChannelData (RFC 8656 11.5: ChannelData
 * padded to 4 bytes on streams) which is cut into messages here.
 */

export interface Listener { readonly port: number, close(): Promise<void> }

const MAX_TRANSPORT_CACHE = 20_000

export async function listenUdp (engine: TurnEngine, host: string, port: number): Promise<Listener> {
  const sock = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 1 << 21, sendBufferSize: 1 << 21 })
  // One node-turn Transport per client address, so the hot path does not re-parse addresses per datagram.
  const transports = new Map<string, NtTransport>()
  const local = { address: host, port }
  const send = {
    send (buf: Buffer, p: number, address: string, cb?: (err: Error | null) => void) {
      try { sock.send(buf, p, address, cb) } catch { /* closed while stopping */ }
    }
  }
  sock.on('message', (data, rinfo) => {
    const key = `${rinfo.address}|${rinfo.port}`
    let t = transports.get(key)
    if (t === undefined) {
      try { t = engine.transport('udp', rinfo, local, send) } catch { return }
      if (transports.size >= MAX_TRANSPORT_CACHE) transports.clear()
      transports.set(key, t)
    }
    engine.handle(data, t)
  })
  sock.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject)
    sock.bind({ address: host, port, exclusive: true }, () => { sock.off('error', reject); resolve() })
  })
  local.port = sock.address().port
  return { port: local.port, close: () => new Promise<void>((resolve) => sock.close(() => resolve())) }
}

const MAX_PENDING = 65536 + 24
const MAX_CHANNEL = 0x4FFF
const MAGIC_COOKIE = 0x2112A442

/** Splits a TURN byte stream into STUN messages and ChannelData; false means the stream is not TURN. */
export function createStreamFramer (onFrame: (frame: Buffer) => void): (chunk: Buffer) => boolean {
  let pending: Buffer = Buffer.alloc(0)
  // ChannelData needs a channel, which needs an Allocate first: a stream that opens with
  // anything but STUN (an HTTP request, 'GET' = 0x4745...) is not a TURN client.
  let sawStun = false
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4) {
      const top = pending[0] >> 6
      let size: number
      if (top === 0) {
        if (pending.length >= 8 && pending.readUInt32BE(4) !== MAGIC_COOKIE) return false
        size = 20 + pending.readUInt16BE(2)
      } else if (top === 1 && sawStun && pending.readUInt16BE(0) <= MAX_CHANNEL) {
        // RFC 8656 12: channel numbers are 0x4000-0x4FFF.
        size = 4 + ((pending.readUInt16BE(2) + 3) & ~3)
      } else return false
      if (pending.length < size) break
      if (top === 0) sawStun = true
      onFrame(pending.subarray(0, size))
      pending = pending.subarray(size)
    }
    return pending.length <= MAX_PENDING
  }
}

function serveStream (engine: TurnEngine, conn: net.Socket, idleMs: number): void {
  const local = { address: conn.localAddress ?? '0.0.0.0', port: conn.localPort ?? 0 }
  const remote = { address: conn.remoteAddress ?? '0.0.0.0', port: conn.remotePort ?? 0 }
  let transport: NtTransport
  const writer = {
    gone: () => conn.destroyed,
    send (buf: Buffer, _p: number, _a: string, cb?: (err: Error | null) => void) {
      if (conn.destroyed || !conn.writable) return
      // A peer that cannot keep up loses datagrams, as it would over UDP, instead of growing our memory.
      if (conn.writableLength > 1 << 20) return
      conn.write(buf, cb === undefined ? undefined : (err) => cb(err ?? null))
    }
  }
  try { transport = engine.transport('tcp', remote, local, writer) } catch { conn.destroy(); return }
  const framer = createStreamFramer((frame) => engine.handle(frame, transport))
  conn.setNoDelay(true)
  conn.setTimeout(idleMs, () => conn.destroy())
  conn.on('data', (chunk: Buffer) => { if (!framer(chunk)) conn.destroy() })
  conn.on('error', () => {})
  conn.on('close', () => engine.connectionClosed(transport))
}

function trackConnections (server: net.Server): () => void {
  const open = new Set<net.Socket>()
  server.on('connection', (c: net.Socket) => { open.add(c); c.on('close', () => open.delete(c)) })
  return () => { for (const c of open) c.destroy() }
}

async function listenStream (server: net.Server, host: string, port: number): Promise<Listener> {
  const destroyAll = trackConnections(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port, exclusive: true }, () => { server.off('error', reject); resolve() })
  })
  server.on('error', () => {})
  const actual = (server.address() as net.AddressInfo).port
  return {
    port: actual,
    close: () => new Promise<void>((resolve) => { destroyAll(); server.close(() => resolve()) })
  }
}

export interface StreamOptions { idleMs?: number }

export async function listenTcp (engine: TurnEngine, host: string, port: number, o: StreamOptions = {}): Promise<Listener> {
  const server = net.createServer((conn) => serveStream(engine, conn, o.idleMs ?? 120_000))
  return listenStream(server, host, port)
}

export async function listenTls (engine: TurnEngine, host: string, port: number, creds: { cert: string | Buffer, key: string | Buffer }, o: StreamOptions = {}): Promise<Listener> {
  const server = tls.createServer({ cert: creds.cert, key: creds.key, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 },
    (conn) => serveStream(engine, conn, o.idleMs ?? 120_000))
  server.on('tlsClientError', () => {})
  return listenStream(server, host, port)
}
