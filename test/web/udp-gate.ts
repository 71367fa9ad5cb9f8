import { createSocket, type Socket } from 'node:dgram'
import type { Test } from 'tap'

export interface UdpGate { port: number; setOpen (open: boolean): void; readonly dropped: number }

/**
 * A UDP relay in front of the TURN server's UDP port, standing for one
 * browser's network: closed, it drops every datagram both ways (a real outage
 * for WebRTC, which DevTools' offline emulation does not reliably cut).
 */
export async function udpGate (t: Test, target: number): Promise<UdpGate> {
  const front = createSocket('udp4')
  const upstream = new Map<string, Socket>()
  let open = true
  let dropped = 0
  front.on('message', (msg, from) => {
    if (!open) { dropped++; return }
    const key = `${from.address}:${from.port}`
    let up = upstream.get(key)
    if (!up) {
      const s = createSocket('udp4')
      s.on('message', (reply) => { if (open) front.send(reply, from.port, from.address); else dropped++ })
      s.bind(0, '127.0.0.1')
      upstream.set(key, s)
      up = s
    }
    up.send(msg, target, '127.0.0.1')
  })
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of upstream.values()) s.close(); front.close() })
  return {
    port: front.address().port,
    setOpen (o) { open = o },
    get dropped () { return dropped }
  }
}
