import { Value } from '@sinclair/typebox/value'
import { countRooms } from '../room-counts.js'
import type { types as msc } from 'mediasoup-client'
import type { EngineLogger, MediaEngine, MediaEngineConfig, MediaEvent, ParticipantRef, ParticipantStats } from '../engine.js'
import { MediaBadRequest, MediaObjectNotFound, MediaParticipantNotFound, MediaRoomNotFound } from '../errors.js'
import { ClientCapabilitiesSchema, ProduceOfferSchema, TransportConnectSchema, type MediaSource, type TransportDirection } from '../negotiation.js'
import type { MsActiveSpeakerObserver, MsConsumer, MsProducer, MsRouter, MsStreamStats, MsWebRtcTransport, MsWorker } from './ms-types.js'
import { createWorkerPool, loadMediasoup, ROUTER_CODECS } from './workers.js'

interface MProducer { p: MsProducer; participantId: string; source: MediaSource }
interface MConsumer { c: MsConsumer; producer: MProducer; transportId: string }
interface MParticipant {
  id: string
  rtpCapabilities: msc.RtpCapabilities
  transports: Map<string, { t: MsWebRtcTransport; direction: TransportDirection }>
  producers: Map<string, MProducer>
  consumers: Map<string, MConsumer>
}
interface MRoom {
  visitId: string; worker: MsWorker; router: MsRouter; observer: MsActiveSpeakerObserver
  participants: Map<string, MParticipant>; producers: Map<string, MProducer>
}

const check = (schema: Parameters<typeof Value.Check>[0], v: unknown, what: string): void => {
  if (!Value.Check(schema, v)) throw new MediaBadRequest(what)
}
function owned<T> (map: Map<string, T>, what: string, id: string): T {
  const v = map.get(id)
  if (v === undefined) throw new MediaObjectNotFound(what, id)
  return v
}
const sum = (stats: MsStreamStats[], types: string[]): { packets: number; bytes: number } =>
  stats.filter((s) => types.includes(s.type))
    .reduce((a, s) => ({ packets: a.packets + s.packetCount, bytes: a.bytes + s.byteCount }), { packets: 0, bytes: 0 })

/** Production SFU: one worker per core, one router per visit, simulcast layers chosen by mediasoup's bandwidth estimate. */
export async function createMediasoupEngine (config: MediaEngineConfig, log: EngineLogger): Promise<MediaEngine> {
  const ms = await loadMediasoup(config.workerBin, config.mediasoupModule)
  const rooms = new Map<string, MRoom>()
  const pending = new Map<string, Promise<MRoom>>()
  const listeners = new Set<(e: MediaEvent) => void>()
  const emit = (e: MediaEvent): void => { for (const l of listeners) l(e) }
  const pool = await createWorkerPool(ms, config.workers, log, (dead) => {
    for (const room of [...rooms.values()]) if (room.worker === dead) closeRoomNow(room.visitId)
  })
  const listenInfos = (['udp', 'tcp'] as const).map((protocol) => ({
    protocol, ip: config.listenIp, announcedAddress: config.announcedAddress,
    portRange: { min: config.rtcMinPort, max: config.rtcMaxPort }
  }))
  let closed = false

  const partOf = (p: ParticipantRef): { room: MRoom; part: MParticipant } => {
    const room = rooms.get(p.visitId)
    if (!room) throw new MediaRoomNotFound(p.visitId)
    const part = room.participants.get(p.participantId)
    if (!part) throw new MediaParticipantNotFound(p.participantId)
    return { room, part }
  }

  const dropConsumer = (room: MRoom, part: MParticipant, id: string): void => {
    const mc = part.consumers.get(id)
    if (!mc || !part.consumers.delete(id)) return
    mc.c.close()
    emit({ type: 'consumerClosed', visitId: room.visitId, participantId: part.id, consumerId: id, producerId: mc.producer.p.id })
  }
  const dropProducer = (room: MRoom, part: MParticipant, id: string): void => {
    const mp = part.producers.get(id)
    if (!mp || !part.producers.delete(id)) return
    room.producers.delete(id)
    // Our books first: mediasoup tells consumers about the closed producer only later.
    for (const other of room.participants.values()) {
      for (const [cid, mc] of other.consumers) if (mc.producer === mp) dropConsumer(room, other, cid)
    }
    mp.p.close()
    emit({ type: 'producerClosed', visitId: room.visitId, participantId: part.id, producerId: id })
  }
  const closePart = (room: MRoom, part: MParticipant): void => {
    room.participants.delete(part.id)
    for (const id of [...part.producers.keys()]) dropProducer(room, part, id)
    for (const id of [...part.consumers.keys()]) dropConsumer(room, part, id)
    for (const [id, { t }] of part.transports) {
      t.close()
      emit({ type: 'transportState', visitId: room.visitId, participantId: part.id, transportId: id, state: 'closed' })
    }
    part.transports.clear()
  }
  function closeRoomNow (visitId: string): void {
    const room = rooms.get(visitId)
    if (!room) return
    rooms.delete(visitId)
    for (const part of [...room.participants.values()]) closePart(room, part)
    room.observer.close()
    room.router.close()
    pool.routerClosed(room.worker)
  }

  const openRoom = async (visitId: string): Promise<MRoom> => {
    const worker = pool.pick()
    pool.routerOpened(worker)
    const router = await worker.createRouter({ mediaCodecs: ROUTER_CODECS })
    const observer = await router.createActiveSpeakerObserver({ interval: 300 })
    const room: MRoom = { visitId, worker, router, observer, participants: new Map(), producers: new Map() }
    observer.on('dominantspeaker', ({ producer }) => {
      const mp = room.producers.get(producer.id)
      if (mp) emit({ type: 'activeSpeaker', visitId, participantId: mp.participantId, producerId: producer.id })
    })
    rooms.set(visitId, room)
    return room
  }

  return {
    kind: 'mediasoup',
    async createRoom (visitId) {
      if (closed) throw new MediaBadRequest('engine closed')
      let room = rooms.get(visitId)
      if (!room) {
        // Two participants joining at once must share one router.
        let opening = pending.get(visitId)
        if (!opening) { opening = openRoom(visitId).finally(() => pending.delete(visitId)); pending.set(visitId, opening) }
        room = await opening
      }
      return { engine: 'mediasoup', routerRtpCapabilities: room.router.rtpCapabilities }
    },
    async closeRoom (visitId) { closeRoomNow(visitId) },
    async addParticipant (p, client) {
      check(ClientCapabilitiesSchema, client, 'client capabilities')
      if (client.engine !== 'mediasoup') throw new MediaBadRequest('this room runs mediasoup')
      const room = rooms.get(p.visitId)
      if (!room) throw new MediaRoomNotFound(p.visitId)
      if (room.participants.has(p.participantId)) return
      room.participants.set(p.participantId, {
        id: p.participantId, rtpCapabilities: client.rtpCapabilities, transports: new Map(), producers: new Map(), consumers: new Map()
      })
    },
    async closeParticipant (p) {
      const room = rooms.get(p.visitId)
      const part = room?.participants.get(p.participantId)
      if (room && part) closePart(room, part)
    },
    async createTransport (p, direction) {
      const { room, part } = partOf(p)
      const t = await room.router.createWebRtcTransport({
        listenInfos, enableUdp: true, enableTcp: true, preferUdp: true,
        initialAvailableOutgoingBitrate: config.initialOutgoingBitrate
      })
      if (direction === 'send') await t.setMaxIncomingBitrate(config.maxIncomingBitrate)
      part.transports.set(t.id, { t, direction })
      t.on('dtlsstatechange', (state) => {
        if (state === 'connected' || state === 'failed') {
          emit({ type: 'transportState', visitId: room.visitId, participantId: part.id, transportId: t.id, state })
        }
      })
      return {
        engine: 'mediasoup', id: t.id, iceParameters: t.iceParameters,
        iceCandidates: t.iceCandidates as msc.IceCandidate[], dtlsParameters: t.dtlsParameters
      }
    },
    async connectTransport (p, transportId, connect) {
      const { t } = owned(partOf(p).part.transports, 'transport', transportId)
      check(TransportConnectSchema, connect, 'transport connect payload')
      if (connect.engine !== 'mediasoup') throw new MediaBadRequest('this room runs mediasoup')
      await t.connect({ dtlsParameters: connect.dtlsParameters }).catch((err: Error) => { throw new MediaBadRequest(err.message) })
    },
    async produce (p, transportId, req) {
      const { room, part } = partOf(p)
      const { t, direction } = owned(part.transports, 'transport', transportId)
      check(ProduceOfferSchema, req.offer, 'produce offer')
      if (req.offer.engine !== 'mediasoup' || direction !== 'send') throw new MediaBadRequest('produce needs a mediasoup send transport')
      if (!['audio', 'video'].includes(req.kind) || !['mic', 'camera', 'screen'].includes(req.source)) throw new MediaBadRequest('kind or source')
      const producer = await t.produce({ kind: req.kind, rtpParameters: req.offer.rtpParameters, appData: { source: req.source } })
        .catch((err: Error) => { throw new MediaBadRequest(err.message) })
      const mp: MProducer = { p: producer, participantId: part.id, source: req.source }
      part.producers.set(producer.id, mp)
      room.producers.set(producer.id, mp)
      if (producer.kind === 'audio') await room.observer.addProducer({ producerId: producer.id })
      return { producerId: producer.id, answer: { engine: 'mediasoup' } }
    },
    async consume (p, transportId, producerId) {
      const { room, part } = partOf(p)
      const { t, direction } = owned(part.transports, 'transport', transportId)
      const mp = owned(room.producers, 'producer', producerId)
      if (direction !== 'recv') throw new MediaBadRequest('consume needs a recv transport')
      if (!room.router.canConsume({ producerId, rtpCapabilities: part.rtpCapabilities })) {
        throw new MediaBadRequest('this browser cannot receive that producer')
      }
      const c = await t.consume({ producerId, rtpCapabilities: part.rtpCapabilities, paused: true })
      part.consumers.set(c.id, { c, producer: mp, transportId })
      c.on('producerclose', () => dropConsumer(room, part, c.id))
      c.on('transportclose', () => dropConsumer(room, part, c.id))
      // A new simulcast layer starts decoding only at a keyframe.
      c.on('layerschange', () => { c.requestKeyFrame().catch(() => undefined) })
      return {
        consumerId: c.id, producerId, kind: c.kind, source: mp.source, paused: true,
        offer: { engine: 'mediasoup', rtpParameters: c.rtpParameters }
      }
    },
    listProducers (visitId) {
      const room = rooms.get(visitId)
      if (!room) throw new MediaRoomNotFound(visitId)
      return [...room.producers.values()].map(({ p, participantId, source }) => ({
        producerId: p.id, participantId, kind: p.kind, source, paused: p.paused, mimeType: p.rtpParameters.codecs[0]?.mimeType ?? 'unknown'
      }))
    },
    async pauseProducer (p, id) { await owned(partOf(p).part.producers, 'producer', id).p.pause() },
    async resumeProducer (p, id) { await owned(partOf(p).part.producers, 'producer', id).p.resume() },
    async closeProducer (p, id) {
      const { room, part } = partOf(p)
      owned(part.producers, 'producer', id)
      dropProducer(room, part, id)
    },
    async pauseConsumer (p, id) { await owned(partOf(p).part.consumers, 'consumer', id).c.pause() },
    async resumeConsumer (p, id) {
      const { c } = owned(partOf(p).part.consumers, 'consumer', id)
      await c.resume()
      if (c.kind === 'video') await c.requestKeyFrame()
    },
    async setPreferredLayers (p, id, layers) {
      const { c } = owned(partOf(p).part.consumers, 'consumer', id)
      if (!Number.isInteger(layers.spatialLayer) || layers.spatialLayer < 0 || layers.spatialLayer > 2) throw new MediaBadRequest('layers')
      await c.setPreferredLayers(layers)
    },
    async requestKeyFrame (p, id) { await owned(partOf(p).part.consumers, 'consumer', id).c.requestKeyFrame() },
    async stats (p): Promise<ParticipantStats> {
      const { part } = partOf(p)
      return {
        participantId: part.id,
        transports: [...part.transports.values()].map(({ t, direction }) => ({ id: t.id, direction, state: t.dtlsState })),
        producers: await Promise.all([...part.producers.values()].map(async ({ p: x }) => ({
          id: x.id, kind: x.kind, paused: x.paused, ...sum(await x.getStats(), ['inbound-rtp'])
        }))),
        consumers: await Promise.all([...part.consumers.values()].map(async ({ c }) => ({
          id: c.id, producerId: c.producerId, kind: c.kind, paused: c.paused, ...sum(await c.getStats(), ['outbound-rtp'])
        })))
      }
    },
    onEvent (listener) { listeners.add(listener); return () => { listeners.delete(listener) } },
    async dump () {
      // Ask the workers themselves, so a transport we forgot to close still shows.
      let routers = 0; let nativeTransports = 0
      for (const w of pool.workers) routers += (await w.dump()).routerIds.length
      for (const room of rooms.values()) nativeTransports += (await room.router.dump()).transportIds.length
      return { ...countRooms(rooms), native: { routers, transports: nativeTransports } }
    },
    async close () {
      if (closed) return
      closed = true
      for (const visitId of [...rooms.keys()]) closeRoomNow(visitId)
      pool.close()
      listeners.clear()
    }
  }
}
