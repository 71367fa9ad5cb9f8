import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCPeerConnection } from 'werift'
import { clientPeer } from '../media/helpers/werift-client.js'
import type { Client } from './helpers.js'

/**
 * Browser stand-in for media over the signalling socket (werift engine):
 * publishes synthetic RTP and subscribes, using only protocol messages.
 */
export function mediaOver (c: Client) {
  const peers: RTCPeerConnection[] = []
  const timers: NodeJS.Timeout[] = []
  let send: { pc: RTCPeerConnection; id: string } | undefined
  let recv: { pc: RTCPeerConnection; id: string } | undefined
  const transport = async (direction: 'send' | 'recv') => {
    const { transport } = await c.call('createTransport', { direction })
    const pc = clientPeer()
    peers.push(pc)
    return { pc, id: transport.id }
  }
  return {
    async start () { await c.call('setCapabilities', { capabilities: { engine: 'werift' } }) },
    async publish (kind: 'audio' | 'video' = 'video'): Promise<string> {
      send ??= await transport('send')
      const { pc, id } = send
      const track = new MediaStreamTrack({ kind })
      const tr = pc.addTransceiver(track, { direction: 'sendonly' })
      await pc.setLocalDescription(await pc.createOffer())
      const r = await c.call('produce', {
        transportId: id, kind, source: kind === 'video' ? 'camera' : 'mic',
        offer: { engine: 'werift', offer: pc.localDescription!.sdp, mid: tr.mid! }
      })
      if (r.answer.engine !== 'werift') throw new Error('engine')
      await pc.setRemoteDescription({ type: 'answer', sdp: r.answer.answer })
      let seq = 1; let ts = 1000
      const pt = tr.codecs[0]?.payloadType ?? 96
      timers.push(setInterval(() => {
        const header = new RtpHeader({ sequenceNumber: seq++ & 0xffff, timestamp: (ts += 4500) >>> 0, payloadType: pt, marker: true })
        track.writeRtp(new RtpPacket(header, Buffer.concat([Buffer.from([0x10, 0x00]), Buffer.alloc(200, 7)])))
      }, 10))
      return r.producerId
    },
    async subscribe (producerId: string): Promise<{ consumerId: string; packets: () => number }> {
      recv ??= await transport('recv')
      const { pc, id } = recv
      const r = await c.call('consume', { transportId: id, producerId })
      if (r.offer.engine !== 'werift') throw new Error('engine')
      const { offer, mid } = r.offer
      let packets = 0
      const seen = new Set<MediaStreamTrack>()
      const hook = () => {
        for (const track of pc.getTransceivers().find((x) => x.mid === mid)?.receiver.tracks ?? []) {
          if (!seen.has(track)) { seen.add(track); track.onReceiveRtp.subscribe(() => { packets++ }) }
        }
      }
      await pc.setRemoteDescription({ type: 'offer', sdp: offer })
      await pc.setLocalDescription(await pc.createAnswer())
      hook()
      pc.getTransceivers().find((x) => x.mid === mid)?.onTrack.subscribe(hook)
      await c.call('connectTransport', { transportId: id, connect: { engine: 'werift', answer: pc.localDescription!.sdp } })
      await c.call('resumeConsumer', { consumerId: r.consumerId })
      return { consumerId: r.consumerId, packets: () => packets }
    },
    /** Forget local peers (after an ICE restart the server has dropped them too). */
    async reset () {
      for (const t of timers.splice(0)) clearInterval(t)
      await Promise.all(peers.splice(0).map((pc) => pc.close()))
      send = undefined; recv = undefined
    },
    close () { return this.reset() }
  }
}

export async function until (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
