import {
  MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, RtcpPayloadSpecificFeedback,
  useAudioLevelIndication, useH264, useOPUS, useSdesMid, useVP8
} from 'werift'
import type { MediaEngine, MediaKind, MediaSource, ParticipantRef } from '../../../media/engine.js'

/**
 * A browser stand-in for the werift engine: plain werift peers doing what a
 * browser's RTCPeerConnection does (offer to publish, answer to subscribe),
 * publishing synthetic RTP. Loopback only, no STUN.
 */
export function clientPeer (): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    bundlePolicy: 'max-bundle',
    codecs: { audio: [useOPUS()], video: [useVP8(), useH264()] },
    headerExtensions: { audio: [useSdesMid(), useAudioLevelIndication()], video: [useSdesMid()] }
  })
}

export interface Publication {
  producerId: string
  /** Sends one synthetic packet (1-byte VP8 descriptor + filler). */
  send (): void
  sent (): number
  /** PLI/FIR packets the server sent to this publisher. */
  keyframeRequests (): number
}

export interface Subscription { consumerId: string; received (): Promise<number> }

export interface NodeClient {
  ref: ParticipantRef
  /** pps: packets per second (default 100); bytes: payload size (default 202); codec: ignored (synthetic payload). */
  publish (kind: MediaKind, source: MediaSource, opts?: { pps?: number; bytes?: number; codec?: string }): Promise<Publication>
  /** Answers the consume offer; the consumer stays paused until the test resumes it. */
  subscribe (producerId: string): Promise<Subscription>
  close (): Promise<void>
}

export async function joinNodeClient (engine: MediaEngine, ref: ParticipantRef): Promise<NodeClient> {
  await engine.addParticipant(ref, { engine: 'werift' })
  const peers: RTCPeerConnection[] = []
  const timers: NodeJS.Timeout[] = []
  let sendPc: { pc: RTCPeerConnection; id: string } | undefined
  let recvPc: { pc: RTCPeerConnection; id: string } | undefined
  const open = async (direction: 'send' | 'recv'): Promise<{ pc: RTCPeerConnection; id: string }> => {
    const params = await engine.createTransport(ref, direction)
    const pc = clientPeer()
    peers.push(pc)
    return { pc, id: params.id }
  }
  return {
    ref,
    async publish (kind, source, opts) {
      sendPc ??= await open('send')
      const { pc, id } = sendPc
      const track = new MediaStreamTrack({ kind })
      const transceiver = pc.addTransceiver(track, { direction: 'sendonly' })
      await pc.setLocalDescription(await pc.createOffer())
      const produced = await engine.produce(ref, id, {
        kind, source, offer: { engine: 'werift', offer: pc.localDescription!.sdp, mid: transceiver.mid! }
      })
      if (produced.answer.engine !== 'werift') throw new Error('engine mismatch')
      await pc.setRemoteDescription({ type: 'answer', sdp: produced.answer.answer })
      let keyframeRequests = 0
      transceiver.sender.onRtcp.subscribe((rtcp) => {
        if (rtcp.type === RtcpPayloadSpecificFeedback.type) keyframeRequests++
      })
      let seq = 1
      let sent = 0
      let ts = 1000
      const pt = transceiver.codecs[0]?.payloadType ?? 96
      const send = (): void => {
        const header = new RtpHeader({ sequenceNumber: seq++ & 0xffff, timestamp: (ts += 4500) >>> 0, payloadType: pt, marker: true })
        // Payload bytes are never decoded by the SFU; a VP8-looking descriptor keeps it honest.
        track.writeRtp(new RtpPacket(header, Buffer.concat([Buffer.from([0x10, 0x00]), Buffer.alloc((opts?.bytes ?? 202) - 2, 7)])))
        sent++
      }
      // Paced by the clock (timers run late under load) until the client closes; 100 packets/s is a modest camera.
      const pps = opts?.pps ?? 100
      const start = performance.now()
      timers.push(setInterval(() => {
        const due = Math.floor((performance.now() - start) * pps / 1000) - sent
        for (let i = 0; i < Math.min(due, pps); i++) send()
      }, 10))
      return { producerId: produced.producerId, keyframeRequests: () => keyframeRequests, send, sent: () => sent }
    },
    async subscribe (producerId) {
      recvPc ??= await open('recv')
      const { pc, id } = recvPc
      const consumed = await engine.consume(ref, id, producerId)
      if (consumed.offer.engine !== 'werift') throw new Error('engine mismatch')
      const { offer, mid } = consumed.offer
      let packets = 0
      const seen = new Set<MediaStreamTrack>()
      const hook = (): void => {
        const tr = pc.getTransceivers().find((x) => x.mid === mid)
        for (const track of tr?.receiver.tracks ?? []) {
          if (seen.has(track)) continue
          seen.add(track)
          track.onReceiveRtp.subscribe(() => { packets++ })
        }
      }
      await pc.setRemoteDescription({ type: 'offer', sdp: offer })
      await pc.setLocalDescription(await pc.createAnswer())
      hook()
      pc.getTransceivers().find((x) => x.mid === mid)?.onTrack.subscribe(hook)
      await engine.connectTransport(ref, id, { engine: 'werift', answer: pc.localDescription!.sdp })
      return { consumerId: consumed.consumerId, received: async () => packets }
    },
    async close () {
      for (const t of timers) clearInterval(t)
      await Promise.all(peers.map((pc) => pc.close()))
    }
  }
}
