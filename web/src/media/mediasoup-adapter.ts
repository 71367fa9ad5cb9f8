import { Device, type types as msc } from 'mediasoup-client'
import type { MediaKind, MediaSource, ProducerInfoOut, RoomCapabilities, TransportParams } from '../protocol.js'
import { watchConnection, type AdapterOptions, type LocalProducer, type MediaAdapter, type RemoteConsumer } from './adapter.js'

// Simulcast for the camera: the router picks a layer per subscriber's bandwidth.
const CAMERA_LAYERS: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 100_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 300_000 },
  { rid: 'r2', maxBitrate: 900_000 }
]

/**
 * mediasoup: mediasoup-client's Device. Its transports' 'connect' and
 * 'produce' events become connectTransport and produce requests.
 */
export function createMediasoupAdapter (o: AdapterOptions): MediaAdapter {
  const { signal } = o
  // Headless Chromium's user agent defeats mediasoup-client's detection; every Chromium speaks Chrome111.
  const device = new Device(/Chrome\//.test(navigator.userAgent) ? { handlerName: 'Chrome111' } : {})
  let sendT: msc.Transport | undefined
  let recvT: msc.Transport | undefined
  const consumers = new Set<msc.Consumer>()
  let closed = false

  const transport = (params: TransportParams, direction: 'send' | 'recv'): msc.Transport => {
    if (params.engine !== 'mediasoup') throw new Error('engine mismatch')
    const { engine: _e, ...p } = params
    const opts = { ...p, iceServers: o.iceServers, iceTransportPolicy: o.iceTransportPolicy }
    const t = direction === 'send' ? device.createSendTransport(opts) : device.createRecvTransport(opts)
    t.on('connect', ({ dtlsParameters }, ok, fail) => {
      signal.request('connectTransport', { transportId: t.id, connect: { engine: 'mediasoup', dtlsParameters } }).then(() => ok(), fail)
    })
    t.on('produce', ({ kind, rtpParameters, appData }, ok, fail) => {
      signal.request('produce', {
        transportId: t.id, kind, source: appData.source as MediaSource, offer: { engine: 'mediasoup', rtpParameters }
      }).then((r) => ok({ id: r.producerId }), fail)
    })
    watchConnection(() => t.connectionState, (fn) => t.on('connectionstatechange', fn), () => { if (!closed && !t.closed) o.onTransportFailed() })
    return t
  }

  return {
    engine: 'mediasoup',
    async load (caps: RoomCapabilities) {
      if (caps.engine !== 'mediasoup') throw new Error('this room does not run mediasoup')
      if (!device.loaded) await device.load({ routerRtpCapabilities: caps.routerRtpCapabilities })
      return { engine: 'mediasoup', rtpCapabilities: device.recvRtpCapabilities }
    },
    async start () {
      const [s, r] = await Promise.all([
        signal.request('createTransport', { direction: 'send' }),
        signal.request('createTransport', { direction: 'recv' })
      ])
      sendT = transport(s.transport, 'send')
      recvT = transport(r.transport, 'recv')
    },
    async produce (track, source) {
      if (!sendT) throw new Error('transports not started')
      const p = await sendT.produce({
        track, appData: { source }, stopTracks: false,
        ...(source === 'camera' ? { encodings: CAMERA_LAYERS } : {})
      })
      return producer(p, source)
    },
    async consume (info: ProducerInfoOut) {
      if (!recvT) throw new Error('transports not started')
      const c = await signal.request('consume', { transportId: recvT.id, producerId: info.producerId })
      if (c.offer.engine !== 'mediasoup') throw new Error('engine mismatch')
      const consumer = await recvT.consume({
        id: c.consumerId, producerId: info.producerId, kind: info.kind, rtpParameters: c.offer.rtpParameters
      })
      consumers.add(consumer)
      await signal.request('resumeConsumer', { consumerId: c.consumerId })
      const remote: RemoteConsumer = {
        id: c.consumerId, producerId: info.producerId, participantId: info.participantId,
        kind: info.kind, source: info.source, track: consumer.track,
        getStats: () => consumer.getStats(),
        close () { consumers.delete(consumer); consumer.close() }
      }
      return remote
    },
    async stats () {
      return Promise.all([sendT, recvT].filter((t): t is msc.Transport => t !== undefined && !t.closed).map((t) => t.getStats()))
    },
    close () {
      if (closed) return
      closed = true
      sendT?.close()
      recvT?.close()
    }
  }

  function producer (p: msc.Producer, source: MediaSource): LocalProducer {
    return {
      id: p.id, kind: p.kind as MediaKind, source,
      async pause () { p.pause(); await signal.request('pauseProducer', { producerId: p.id }) },
      async resume () { p.resume(); await signal.request('resumeProducer', { producerId: p.id }) },
      async replaceTrack (track) { await p.replaceTrack({ track }) },
      async close () { p.close(); await signal.request('closeProducer', { producerId: p.id }) }
    }
  }
}
