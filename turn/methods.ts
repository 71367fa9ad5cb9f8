import { peerKey, type AllocationEntry, type AllocationTable } from './allocations.js'
import type { NodeTurn, NtAddress, NtMessage } from './node-turn.js'
import type { PeerPolicy } from './peer-policy.js'
import { bindRelaySocket, guardRelaySocket } from './relay-socket.js'
import type { TurnStats } from './stats.js'

/**
 * The TURN requests, answered per RFC 8656 on top of node-turn's message and
 * allocation classes. node-turn's own handlers are replaced because each had
 * a fault that breaks calls: ChannelBind answered without
 * MESSAGE-INTEGRITY, Refresh without LIFETIME ended the allocation, no peer
 * address was ever refused and no quota counted.
 */

const TCP = 6

/** ChannelData to the client; padded to 4 bytes, which streams require and UDP tolerates. */
function sendChannelData (entry: AllocationEntry, channel: number, data: Buffer): void {
  const t = entry.allocation.transport
  const padded = t.protocol === TCP ? (data.length + 3) & ~3 : data.length
  const out = Buffer.allocUnsafe(4 + padded)
  out.writeUInt16BE(channel, 0)
  out.writeUInt16BE(data.length, 2)
  data.copy(out, 4)
  out.fill(0, 4 + data.length)
  t.socket.send(out, t.dst.port, t.dst.address)
}

export interface MethodOptions {
  nt: NodeTurn
  table: AllocationTable
  stats: TurnStats
  peerPolicy: PeerPolicy
  now: () => number
  software: string
  relayIp?: string
  minPort: number
  maxPort: number
  defaultLifetime: number
  maxLifetime: number
  permissionLifetime: number
  channelLifetime: number
  userQuota: number
  totalQuota: number
  onError: (err: unknown) => void
  isClosed: () => boolean
}

export interface TurnMethods {
  allocate(msg: NtMessage, reply: NtMessage, entry: AllocationEntry | undefined, participantId: string): void
  refresh(msg: NtMessage, reply: NtMessage, entry: AllocationEntry): void
  createPermission(msg: NtMessage, reply: NtMessage, entry: AllocationEntry): void
  channelBind(msg: NtMessage, reply: NtMessage, entry: AllocationEntry): void
}

const UDP = 17
const ERROR_CLASS = 3

/**
 * node-turn's reject() sends error answers without MESSAGE-INTEGRITY; RFC 8489
 * 9.2.4 wants it on errors to authenticated requests, and Chrome discards
 * unprotected answers to the requests it signed.
 */
export function refuse (reply: NtMessage, code: number, reason: string): void {
  reply.addAttribute('error-code', { code, reason })
  reply.addAttribute('message-integrity')
  reply.class = ERROR_CLASS
  const buf = reply.toBuffer()
  reply.transport.socket.send(buf, reply.transport.dst.port, reply.transport.dst.address)
  // Marks the answer as sent so nothing else goes out for this transaction.
  reply.discard()
}

export function createTurnMethods (o: MethodOptions): TurnMethods {
  const { nt, table, stats } = o
  /** Allocations whose relay socket is still being bound; a retransmitted Allocate waits for the first. */
  const pending = new Set<string>()

  // RFC 8656 7.2/7.3: min(requested, maximum), but never below the default.
  const desiredLifetime = (requested: unknown): number => {
    if (typeof requested !== 'number') return o.defaultLifetime
    return Math.max(o.defaultLifetime, Math.min(requested, o.maxLifetime))
  }

  const allocated = (reply: NtMessage, entry: AllocationEntry): void => {
    const a = entry.allocation
    reply.addAttribute('xor-relayed-address', a.relayedTransportAddress)
    reply.addAttribute('lifetime', Math.max(0, Math.round((a.timeToExpiry - o.now()) / 1000)))
    reply.addAttribute('xor-mapped-address', a.mappedAddress)
    reply.addAttribute('software', o.software)
    reply.addAttribute('message-integrity')
    reply.resolve()
  }

  const peerIsAllowed = (peer: NtAddress, entry: AllocationEntry, reply: NtMessage): boolean => {
    // Policy first: a refused address gets 403 whatever its family, so probing learns nothing more.
    if (!o.peerPolicy(peer.address)) {
      stats.refusedPeers++
      refuse(reply, 403, 'Forbidden')
      return false
    }
    if (peer.family !== entry.allocation.relayedTransportAddress.family) {
      refuse(reply, 443, 'Peer Address Family Mismatch')
      return false
    }
    return true
  }

  const permit = (entry: AllocationEntry, address: string): void => {
    entry.allocation.permissions[address] = o.now() + o.permissionLifetime * 1000
  }

  return {
    allocate (msg, reply, entry, participantId) {
      if (entry !== undefined) {
        // A retransmission of the request that made this allocation gets the same answer.
        if (entry.allocation.transactionID === msg.transactionID) return allocated(reply, entry)
        return refuse(reply, 437, 'Allocation Mismatch')
      }
      const tuple = msg.transport.get5Tuple()
      if (pending.has(tuple)) return reply.discard()
      const transport = msg.getAttribute('requested-transport')
      if (transport === undefined) return refuse(reply, 400, 'Bad Request')
      if (transport !== UDP) return refuse(reply, 442, 'Unsupported Transport Protocol')
      // Reservations (RFC 8656 EVEN-PORT R bit / RESERVATION-TOKEN) are not kept.
      if (msg.getAttribute('reservation-token') !== undefined || msg.getAttribute('even-port') === true) {
        return refuse(reply, 508, 'Insufficient Capacity')
      }
      if (table.countFor(participantId) >= o.userQuota) {
        stats.quotaRejections++
        return refuse(reply, 486, 'Allocation Quota Reached')
      }
      if (table.size + pending.size >= o.totalQuota) {
        stats.quotaRejections++
        return refuse(reply, 508, 'Insufficient Capacity')
      }
      const lifetime = desiredLifetime(msg.getAttribute('lifetime'))
      const even = msg.getAttribute('even-port') === false
      pending.add(tuple)
      bindRelaySocket(o.relayIp ?? msg.transport.dst.address, o.minPort, o.maxPort, even).then((sock) => {
        pending.delete(tuple)
        // The server stopped, or a TCP client hung up while its relay port was being bound.
        if (o.isClosed() || msg.transport.socket.gone?.() === true) { sock.close(); return }
        let entry: AllocationEntry | undefined
        const relay = guardRelaySocket(sock, {
          accept (data, from) {
            if (entry === undefined) return false
            const address = from.address.includes(':') ? new nt.Address(from.address, from.port).address : from.address
            const until = entry.allocation.permissions[address]
            if (until === undefined || until < o.now()) { stats.droppedFromPeers++; return false }
            stats.packetsToClient++
            stats.bytesToClient += data.length
            // Bound peers (all media once ICE settles) go out as ChannelData here; node-turn's
            // Allocation builds addresses and scans every channel per datagram, and keeps Data indications.
            const channel = entry.peerChannels.get(peerKey(address, from.port))
            if (channel === undefined) return true
            sendChannelData(entry, channel, data)
            return false
          },
          sent (bytes) { stats.packetsToPeer++; stats.bytesToPeer += bytes }
        }, o.onError)
        const allocation = new nt.Allocation(msg, [relay], lifetime)
        entry = { allocation, participantId, relay: sock, channels: new Map(), peerChannels: new Map() }
        table.add(entry)
        table.refresh(entry, lifetime)
        stats.allocationsTotal++
        allocated(reply, entry)
      }, () => {
        pending.delete(tuple)
        refuse(reply, 508, 'Insufficient Capacity')
      }).catch(o.onError)
    },

    refresh (msg, reply, entry) {
      const requested = msg.getAttribute('lifetime')
      if (requested === 0) {
        table.delete(entry.allocation.fiveTuple, 'refresh')
        reply.addAttribute('lifetime', 0)
      } else {
        const lifetime = desiredLifetime(requested)
        table.refresh(entry, lifetime)
        reply.addAttribute('lifetime', lifetime)
      }
      reply.addAttribute('software', o.software)
      reply.addAttribute('message-integrity')
      reply.resolve()
    },

    createPermission (msg, reply, entry) {
      const peers = msg.getAttributes('xor-peer-address') as Array<NtAddress | undefined>
      if (peers.length === 0 || peers.some((p) => typeof p?.address !== 'string')) return refuse(reply, 400, 'Bad Request')
      // All or nothing (RFC 8656 9.2): one refused peer refuses the request.
      for (const peer of peers as NtAddress[]) if (!peerIsAllowed(peer, entry, reply)) return
      for (const peer of peers as NtAddress[]) permit(entry, peer.address)
      reply.addAttribute('software', o.software)
      reply.addAttribute('message-integrity')
      reply.resolve()
    },

    channelBind (msg, reply, entry) {
      const channel = msg.getAttribute('channel-number')
      const peer = msg.getAttribute('xor-peer-address') as NtAddress | undefined
      if (typeof channel !== 'number' || typeof peer?.address !== 'string') return refuse(reply, 400, 'Bad Request')
      // RFC 8656 12 narrowed channel numbers to 0x4000-0x4FFF.
      if (channel < 0x4000 || channel > 0x4FFF) return refuse(reply, 400, 'Bad Request')
      if (!peerIsAllowed(peer, entry, reply)) return
      const a = entry.allocation
      const bound = a.channelBindings[channel]
      if (bound !== undefined && bound.toString() !== peer.toString()) return refuse(reply, 400, 'Bad Request')
      const other = a.getPeerChannelNumber(peer)
      if (other !== undefined && other !== channel) return refuse(reply, 400, 'Bad Request')
      a.channelBindings[channel] = peer
      entry.channels.set(channel, o.now() + o.channelLifetime * 1000)
      entry.peerChannels.set(peerKey(peer.address, peer.port), channel)
      permit(entry, peer.address)
      reply.addAttribute('software', o.software)
      // Without it Chrome does not accept the answer, retries for ~40 s and drops the candidate pair.
      reply.addAttribute('message-integrity')
      reply.resolve()
    }
  }
}
