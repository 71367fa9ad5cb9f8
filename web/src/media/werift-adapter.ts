import type { MediaKind, MediaSource, ProducerInfoOut, RoomCapabilities } from '../protocol.js'
import { gathered, serial, watchConnection, type AdapterOptions, type LocalProducer, type MediaAdapter, type RemoteConsumer } from './adapter.js'

/**
 * werift: one plain RTCPeerConnection per direction. Producing adds a
 * sendonly transceiver and sends the whole offer (no trickle) with its mid;
 * consuming applies the server's offer and answers through connectTransport.
 */
export function createWeriftAdapter (o: AdapterOptions): MediaAdapter {
  const { signal } = o
  let send: { id: string; pc: RTCPeerConnection } | undefined
  let recv: { id: string; pc: RTCPeerConnection } | undefined
  const sendQueue = serial()
  const recvQueue = serial()
  let closed = false

  const peer = (): RTCPeerConnection => {
    const pc = new RTCPeerConnection({ iceServers: o.iceServers, iceTransportPolicy: o.iceTransportPolicy, bundlePolicy: 'max-bundle' })
    watchConnection(() => pc.connectionState, (fn) => pc.addEventListener('connectionstatechange', fn), () => { if (!closed) o.onTransportFailed() })
    return pc
  }

  return {
    engine: 'werift',
    async load (caps: RoomCapabilities) {
      if (caps.engine !== 'werift') throw new Error('this room does not run werift')
      return { engine: 'werift' }
    },
    async start () {
      const [s, r] = await Promise.all([
        signal.request('createTransport', { direction: 'send' }),
        signal.request('createTransport', { direction: 'recv' })
      ])
      send = { id: s.transport.id, pc: peer() }
      recv = { id: r.transport.id, pc: peer() }
    },
    produce (track, source) {
      return sendQueue(async () => {
        if (!send) throw new Error('transports not started')
        const { id: transportId, pc } = send
        const tr = pc.addTransceiver(track, { direction: 'sendonly' })
        if (source === 'screen' && 'contentHint' in track) track.contentHint = 'detail'
        await pc.setLocalDescription(await pc.createOffer())
        await gathered(pc)
        const kind = track.kind as MediaKind
        const res = await signal.request('produce', {
          transportId, kind, source, offer: { engine: 'werift', offer: pc.localDescription!.sdp, mid: tr.mid! }
        })
        if (res.answer.engine !== 'werift') throw new Error('engine mismatch')
        await pc.setRemoteDescription({ type: 'answer', sdp: res.answer.answer })
        return producer(res.producerId, kind, source, tr)
      })
    },
    consume (p: ProducerInfoOut) {
      return recvQueue(async () => {
        if (!recv) throw new Error('transports not started')
        const { id: transportId, pc } = recv
        const c = await signal.request('consume', { transportId, producerId: p.producerId })
        if (c.offer.engine !== 'werift') throw new Error('engine mismatch')
        await pc.setRemoteDescription({ type: 'offer', sdp: c.offer.offer })
        await pc.setLocalDescription(await pc.createAnswer())
        await gathered(pc)
        await signal.request('connectTransport', { transportId, connect: { engine: 'werift', answer: pc.localDescription!.sdp } })
        const mid = c.offer.mid
        const tr = pc.getTransceivers().find((t) => t.mid === mid)
        if (!tr) throw new Error('answer lost the consumer section')
        await signal.request('resumeConsumer', { consumerId: c.consumerId })
        const consumer: RemoteConsumer = {
          id: c.consumerId, producerId: p.producerId, participantId: p.participantId,
          kind: p.kind, source: p.source, track: tr.receiver.track,
          async getStats () { return pc.getStats(tr.receiver.track) },
          close () { /* the server closes the section; the transceiver stays until the peer closes */ }
        }
        return consumer
      })
    },
    async stats () {
      return Promise.all([send?.pc, recv?.pc].filter((pc): pc is RTCPeerConnection => pc !== undefined).map((pc) => pc.getStats()))
    },
    close () {
      if (closed) return
      closed = true
      send?.pc.close()
      recv?.pc.close()
    }
  }

  function producer (id: string, kind: MediaKind, source: MediaSource, tr: RTCRtpTransceiver): LocalProducer {
    return {
      id, kind, source,
      async pause () { await signal.request('pauseProducer', { producerId: id }) },
      async resume () { await signal.request('resumeProducer', { producerId: id }) },
      async replaceTrack (track) { await tr.sender.replaceTrack(track) },
      async close () {
        await tr.sender.replaceTrack(null)
        await signal.request('closeProducer', { producerId: id })
      }
    }
  }
}
