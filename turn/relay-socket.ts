import { randomInt } from 'node:crypto'
import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import { isIPv6 } from 'node:net'
import type { NtRelaySocket } from './node-turn.js'

/**
 * Binds the UDP socket of one allocation to a random port in [min, max].
 * A fresh socket per attempt: node-turn's own picker re-binds a socket that
 * already failed to bind, which throws inside an event handler and takes the
 * process down once ports collide.
 */
export async function bindRelaySocket (ip: string, min: number, max: number, even = false, attempts = 64): Promise<dgram.Socket> {
  for (let i = 0; i < attempts; i++) {
    let port = randomInt(min, max + 1)
    if (even && port % 2 === 1) port = port - 1 >= min ? port - 1 : port + 1
    if (port > max) continue
    const sock = dgram.createSocket({ type: isIPv6(ip) ? 'udp6' : 'udp4', recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 })
    const ok = await new Promise<boolean>((resolve) => {
      sock.once('error', () => resolve(false))
      sock.bind({ address: ip, port, exclusive: true }, () => resolve(true))
    })
    if (ok) {
      sock.removeAllListeners('error')
      // Errors on a relay socket (ICMP unreachable, closed peer) concern one peer, not the server.
      sock.on('error', () => {})
      return sock
    }
    sock.close()
  }
  throw new Error('no free relay port')
}

export interface RelayGuard {
  /** Decides whether a datagram from a peer goes on to node-turn's relay, and counts it. */
  accept(data: Buffer, from: { address: string, port: number }): boolean
  /** Counts client-to-peer sends made by node-turn (Send indications). */
  sent(bytes: number): void
}

/**
 * What node-turn's Allocation sees instead of the dgram socket: only datagrams
 * from permitted peers, at least 4 bytes long (node-turn reads a ChannelData
 * header from every peer datagram and would throw, uncaught, on shorter ones),
 * and never an exception out of its listener.
 */
export function guardRelaySocket (sock: dgram.Socket, guard: RelayGuard, onError: (err: unknown) => void): NtRelaySocket {
  const events = new EventEmitter()
  sock.on('message', (data, rinfo) => {
    if (data.length < 4 || !guard.accept(data, rinfo)) return
    try { events.emit('message', data, rinfo) } catch (err) { onError(err) }
  })
  return {
    on (event, listener) { events.on(event, listener); return this },
    address: () => sock.address(),
    send (buf, port, address, cb) {
      try {
        guard.sent(buf.length)
        sock.send(buf, port, address, cb)
      } catch (err) { onError(err) }
    }
  }
}
