import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { createAllocationTable, type AllocationTable } from './allocations.js'
import { checkTurnUsername, turnPassword } from './credentials.js'
import { createTurnMethods, refuse } from './methods.js'
import { loadNodeTurn, type NtMessage, type NtSendSocket, type NtServer, type NtTransport } from './node-turn.js'
import type { PeerPolicy } from './peer-policy.js'
import { createTurnStats, type TurnStats } from './stats.js'

/**
 * The bundled TURN engine: node-turn parses, authenticates and keeps
 * allocations; this wrapper owns what node-turn gets wrong or lacks
 * (ChannelData from clients, RFC 8656 lifetimes, expiry, quotas, the peer
 * policy, REST credentials, stateless nonces). Transports (UDP/TCP/TLS) hand
 * it one framed STUN message or ChannelData at a time.
 */

export interface TurnEngineOptions {
  secret: string
  realm: string
  peerPolicy: PeerPolicy
  relayIp?: string
  externalIp?: string
  minPort: number
  maxPort: number
  defaultLifetime: number
  maxLifetime: number
  userQuota: number
  totalQuota: number
  /** Seconds; RFC 8656 fixes 300 for permissions and 600 for channels. Tests shorten them. */
  permissionLifetime?: number
  channelLifetime?: number
  sweepIntervalMs?: number
  onError?: (err: unknown) => void
  now?: () => number
}

export interface TurnEngine {
  /** A transport for a client address; the socket carries replies and relayed data back to it. */
  transport(protocol: 'udp' | 'tcp', src: { address: string, port: number }, dst: { address: string, port: number }, socket: NtSendSocket): NtTransport
  /** One datagram (UDP) or one framed message (TCP/TLS) from a client. */
  handle(buf: Buffer, transport: NtTransport): void
  /** A TCP/TLS client went away: its allocation goes with it (RFC 8656 3.1). */
  connectionClosed(transport: NtTransport): void
  readonly stats: TurnStats
  readonly table: AllocationTable
  close(): void
}

const NONCE_LIFETIME_S = 3600
const TCP = 6

export function createTurnEngine (o: TurnEngineOptions): TurnEngine {
  const nt = loadNodeTurn()
  const C = nt.CONSTANTS
  const now = o.now ?? Date.now
  const stats = createTurnStats()
  const onError = (err: unknown): void => { stats.errors++; o.onError?.(err) }
  let closed = false

  const server: NtServer = new nt.Server({
    listeningIps: [], authMech: 'long-term', realm: o.realm, debugLevel: 'OFF', log: () => {}, externalIps: o.externalIp ?? null
  })
  server.software = 'bedside'
  // node-turn dispatches from its own 'message' handler; ours replaces it and its method handlers.
  for (const ev of ['message', 'allocate', 'refresh', 'create_permission', 'channel_bind']) server.removeAllListeners(ev)

  // REST credentials: the password of `expiry:participantId` is derived, never stored, and none exists once expired.
  server.authentification.credentials = new Proxy({} as Record<string, string | undefined>, {
    get: (_t, key) => typeof key === 'string' && checkTurnUsername(key, now()).ok ? turnPassword(o.secret, key) : undefined,
    set: () => true
  })
  // Stateless nonces: node-turn keeps each one in a map with a one-hour timer, which floods of Allocates would grow without bound.
  const nonceKey = randomBytes(32)
  const nonceMac = (t: string): string => createHmac('sha256', nonceKey).update(t).digest('hex').slice(0, 24)
  server.authentification.generateNonce = () => {
    const t = Math.floor(now() / 1000).toString(16).padStart(10, '0')
    return t + nonceMac(t)
  }
  server.authentification.checkNonce = (nonce: unknown) => {
    if (typeof nonce !== 'string' || nonce.length !== 34) return false
    const t = nonce.slice(0, 10)
    const mac = Buffer.from(nonce.slice(10))
    const want = Buffer.from(nonceMac(t))
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return false
    const age = Math.floor(now() / 1000) - parseInt(t, 16)
    return age >= 0 && age < NONCE_LIFETIME_S
  }

  const table = createAllocationTable({ server, now })
  const methods = createTurnMethods({
    nt,
    table,
    stats,
    peerPolicy: o.peerPolicy,
    now,
    software: server.software,
    relayIp: o.relayIp,
    minPort: o.minPort,
    maxPort: o.maxPort,
    defaultLifetime: o.defaultLifetime,
    maxLifetime: o.maxLifetime,
    permissionLifetime: o.permissionLifetime ?? 300,
    channelLifetime: o.channelLifetime ?? 600,
    userQuota: o.userQuota,
    totalQuota: o.totalQuota,
    onError,
    isClosed: () => closed
  })
  const sweep = setInterval(() => { try { table.sweep() } catch (err) { onError(err) } }, o.sweepIntervalMs ?? 1000)
  sweep.unref()

  const route = (msg: NtMessage, reply: NtMessage): void => {
    const entry = table.get(msg.transport.get5Tuple())
    switch (msg.method) {
      case C.METHOD.ALLOCATE: {
        const who = checkTurnUsername(msg.user?.username ?? '', now())
        if (!who.ok) return reply.reject(401, 'Unauthorized')
        return methods.allocate(msg, reply, entry, who.participantId)
      }
      case C.METHOD.REFRESH: return entry ? methods.refresh(msg, reply, entry) : refuse(reply, 437, 'Allocation Mismatch')
      case C.METHOD.CREATE_PERMISSION: return entry ? methods.createPermission(msg, reply, entry) : refuse(reply, 437, 'Allocation Mismatch')
      case C.METHOD.CHANNEL_BIND: return entry ? methods.channelBind(msg, reply, entry) : refuse(reply, 437, 'Allocation Mismatch')
      default: return refuse(reply, 400, 'Bad Request')
    }
  }

  const handleStun = (buf: Buffer, transport: NtTransport): void => {
    const msg = new nt.Message(server, transport)
    let ok = false
    try { ok = msg.read(buf) } catch { ok = false }
    if (!ok) { stats.malformed++; return }
    if (msg.getAttribute('fingerprint') === false) { stats.malformed++; return }
    if (msg.class === C.CLASS.REQUEST && msg.method === C.METHOD.BINDING) {
      const reply = msg.reply()
      reply.addAttribute('xor-mapped-address', transport.src)
      return reply.resolve()
    }
    // We send no requests, so answers from clients are noise.
    if (msg.class === C.CLASS.SUCCESS || msg.class === C.CLASS.ERROR) return
    const entry = table.get(transport.get5Tuple())
    if (msg.class === C.CLASS.INDICATION) {
      // Send indications carry no credentials (RFC 8656 11): the 5-tuple and the permission are the check.
      if (entry === undefined || msg.method !== C.METHOD.SEND) return
      const peer = msg.getAttribute('xor-peer-address')
      const data = msg.getAttribute('data')
      if (peer === undefined || !Buffer.isBuffer(data)) return
      msg.allocation = entry.allocation
      server.emit('send', msg, msg.reply())
      return
    }
    if (msg.method !== C.METHOD.ALLOCATE) {
      if (entry === undefined) return msg.reply().reject(437, 'Allocation Mismatch')
      msg.allocation = entry.allocation
    }
    server.authentification.auth(msg, (err, reply) => {
      if (err !== null || reply === undefined) { stats.authFailures++; return }
      route(msg, reply)
    })
  }

  const handleChannelData = (buf: Buffer, transport: NtTransport): void => {
    const channel = buf.readUInt16BE(0)
    const length = buf.readUInt16BE(2)
    const entry = table.get(transport.get5Tuple())
    if (channel > 0x4FFF || length > buf.length - 4 || entry === undefined) { stats.malformed++; return }
    const until = entry.channels.get(channel)
    const peer = entry.allocation.channelBindings[channel]
    const t = now()
    if (until === undefined || until <= t || peer === undefined) { stats.malformed++; return }
    const permitted = entry.allocation.permissions[peer.address]
    if (permitted === undefined || permitted < t) return
    stats.packetsToPeer++
    stats.bytesToPeer += length
    entry.relay.send(buf.subarray(4, 4 + length), peer.port, peer.address)
  }

  return {
    transport (protocol, src, dst, socket) {
      const unmapped = (a: string): string => a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
      const t = new nt.Transport(protocol === 'udp' ? C.TRANSPORT.PROTOCOL.UDP : TCP,
        new nt.Address(unmapped(src.address), src.port), new nt.Address(unmapped(dst.address), dst.port), socket)
      // The 5-tuple key is looked up for every datagram; node-turn would rebuild the string each time.
      const tuple = t.get5Tuple()
      t.get5Tuple = () => tuple
      return t
    },
    handle (buf, transport) {
      if (closed) return
      try {
        if (buf.length < 4) { stats.malformed++; return }
        const top = buf[0] >> 6
        if (top === 0) handleStun(buf, transport)
        else if (top === 1) handleChannelData(buf, transport)
        else stats.malformed++
      } catch (err) { onError(err) }
    },
    connectionClosed (transport) { table.delete(transport.get5Tuple(), 'closed') },
    stats,
    table,
    close () {
      if (closed) return
      closed = true
      clearInterval(sweep)
      table.closeAll()
    }
  }
}
