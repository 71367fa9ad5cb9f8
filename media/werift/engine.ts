import { randomUUID } from 'node:crypto'
import { countRooms } from '../room-counts.js'
import { Value } from '@sinclair/typebox/value'
import type { EngineLogger, MediaEngine, MediaEngineConfig, MediaEvent, ParticipantStats } from '../engine.js'
import { MediaBadRequest } from '../errors.js'
import { ClientCapabilitiesSchema, ProduceOfferSchema, TransportConnectSchema } from '../negotiation.js'
import { createOfferGate, createPeer, WERIFT_CODECS, type PeerNetwork } from './peer.js'
import { closeConsumer, closeProducer, consumeOn, produceOn } from './produce-consume.js'
import { createSpeakerDetector } from './speaker.js'
import { owned, participantOf, roomOf, type Rooms, type WParticipant, type WRoom, type WTransport } from './state.js'

const check = (schema: Parameters<typeof Value.Check>[0], v: unknown, what: string): void => {
  if (!Value.Check(schema, v)) throw new MediaBadRequest(what)
}

/** Pure-TypeScript SFU: one werift peer per participant and direction, RTP forwarded as is. */
export function createWeriftEngine (config: MediaEngineConfig, _log?: EngineLogger): MediaEngine {
  const net: PeerNetwork = {
    listenIp: config.listenIp, announcedAddress: config.announcedAddress,
    rtcMinPort: config.rtcMinPort, rtcMaxPort: config.rtcMaxPort, iceServers: config.iceServers
  }
  const rooms: Rooms = new Map()
  const listeners = new Set<(e: MediaEvent) => void>()
  const emit = (e: MediaEvent): void => { for (const l of listeners) l(e) }
  let closed = false

  // Peers not yet closed, counted apart from our maps so dump() catches a leak in either.
  const livePeers = new Set<WTransport['pc']>()

  const closeTransport = async (room: WRoom, part: WParticipant, t: WTransport): Promise<void> => {
    if (!part.transports.delete(t.id)) return
    t.gate?.close()
    await t.pc.close()
    livePeers.delete(t.pc)
    emit({ type: 'transportState', visitId: room.visitId, participantId: part.id, transportId: t.id, state: 'closed' })
  }

  // A peer left mid-negotiation cannot be trusted (werift's rollback scrambles m-lines):
  // close it with everything on it; the events tell signalling to start that direction over.
  const failTransport = async (room: WRoom, part: WParticipant, t: WTransport): Promise<void> => {
    if (!part.transports.has(t.id)) return
    for (const pr of part.producers.values()) if (pr.transportId === t.id) closeProducer(room, part, pr, emit)
    for (const c of part.consumers.values()) if (c.transportId === t.id) closeConsumer(room, part, c, emit)
    emit({ type: 'transportState', visitId: room.visitId, participantId: part.id, transportId: t.id, state: 'failed' })
    await closeTransport(room, part, t)
  }

  const closePart = async (room: WRoom, part: WParticipant): Promise<void> => {
    room.participants.delete(part.id)
    for (const p of part.producers.values()) closeProducer(room, part, p, emit)
    for (const c of part.consumers.values()) closeConsumer(room, part, c, emit)
    await Promise.all([...part.transports.values()].map((t) => closeTransport(room, part, t)))
  }

  const closeRoomNow = async (visitId: string): Promise<void> => {
    const room = rooms.get(visitId)
    if (!room) return
    rooms.delete(visitId)
    room.speaker.close()
    await Promise.all([...room.participants.values()].map((part) => closePart(room, part)))
  }

  const engine: MediaEngine = {
    kind: 'werift',
    async createRoom (visitId) {
      if (closed) throw new MediaBadRequest('engine closed')
      if (!rooms.has(visitId)) {
        const room: WRoom = {
          visitId,
          participants: new Map(),
          producers: new Map(),
          speaker: createSpeakerDetector((producerId) => {
            const p = room.producers.get(producerId)
            if (p) emit({ type: 'activeSpeaker', visitId, participantId: p.participantId, producerId })
          })
        }
        rooms.set(visitId, room)
      }
      return { engine: 'werift', codecs: { audio: [...WERIFT_CODECS.audio], video: [...WERIFT_CODECS.video] } }
    },
    async closeRoom (visitId) { await closeRoomNow(visitId) },
    async addParticipant (p, client) {
      check(ClientCapabilitiesSchema, client, 'client capabilities')
      if (client.engine !== 'werift') throw new MediaBadRequest('this room runs werift')
      const room = roomOf(rooms, p.visitId)
      if (room.participants.has(p.participantId)) return
      room.participants.set(p.participantId, {
        id: p.participantId, transports: new Map(), producers: new Map(), consumers: new Map()
      })
    },
    async closeParticipant (p) {
      const room = rooms.get(p.visitId)
      const part = room?.participants.get(p.participantId)
      if (room && part) await closePart(room, part)
    },
    async createTransport (p, direction) {
      const { room, part } = participantOf(rooms, p)
      const pc = createPeer(net)
      livePeers.add(pc)
      const t: WTransport = { id: randomUUID(), direction, pc, chain: Promise.resolve(), state: 'new' }
      // An answer that never came leaves the peer mid-negotiation for good: start over on a new transport.
      if (direction === 'recv') t.gate = createOfferGate(() => { void failTransport(room, part, t) }, config.negotiationTimeoutMs)
      pc.connectionStateChange.subscribe((state) => {
        t.state = state
        if (!part.transports.has(t.id)) return
        if (state === 'connected') {
          // A subscriber decodes nothing until a keyframe: ask every publisher it follows.
          for (const c of part.consumers.values()) if (c.transportId === t.id && !c.paused) c.producer.forwarder.requestKeyFrame()
        }
        if (state === 'connected' || state === 'failed') {
          emit({ type: 'transportState', visitId: room.visitId, participantId: part.id, transportId: t.id, state })
        }
      })
      part.transports.set(t.id, t)
      return { engine: 'werift', id: t.id }
    },
    async connectTransport (p, transportId, connect) {
      const { room, part } = participantOf(rooms, p)
      const t = owned(part.transports, 'transport', transportId)
      check(TransportConnectSchema, connect, 'transport connect payload')
      if (connect.engine !== 'werift') throw new MediaBadRequest('this room runs werift')
      if (!t.gate?.open) throw new MediaBadRequest('no offer is waiting for an answer on this transport')
      try {
        await t.pc.setRemoteDescription({ type: 'answer', sdp: connect.answer })
        t.gate.answered()
      } catch {
        await failTransport(room, part, t)
        throw new MediaBadRequest('answer could not be applied; the transport was closed, create a new one')
      }
    },
    async produce (p, transportId, req) {
      const { room, part } = participantOf(rooms, p)
      const t = owned(part.transports, 'transport', transportId)
      check(ProduceOfferSchema, req.offer, 'produce offer')
      if (!['audio', 'video'].includes(req.kind) || !['mic', 'camera', 'screen'].includes(req.source)) {
        throw new MediaBadRequest('kind or source')
      }
      if (t.direction !== 'send') throw new MediaBadRequest('produce needs a send transport')
      const run = t.chain.then(() => produceOn(room, part, t, req)).catch(async (err: unknown) => {
        if (t.pc.signalingState !== 'stable') await failTransport(room, part, t)
        throw err
      })
      t.chain = run.catch(() => undefined)
      return run
    },
    async consume (p, transportId, producerId) {
      const { room, part } = participantOf(rooms, p)
      const t = owned(part.transports, 'transport', transportId)
      const producer = owned(room.producers, 'producer', producerId)
      return consumeOn(part, t, producer)
    },
    listProducers (visitId) {
      return [...roomOf(rooms, visitId).producers.values()].map((x) => ({
        producerId: x.id, participantId: x.participantId, kind: x.kind, source: x.source, paused: x.forwarder.paused,
        mimeType: (x.transceiver.receiver.tracks[0]?.codec ?? x.transceiver.codecs[0])?.mimeType ?? 'unknown'
      }))
    },
    async pauseProducer (p, id) { owned(participantOf(rooms, p).part.producers, 'producer', id).forwarder.paused = true },
    async resumeProducer (p, id) {
      const producer = owned(participantOf(rooms, p).part.producers, 'producer', id)
      producer.forwarder.paused = false
      if (producer.kind === 'video') producer.forwarder.requestKeyFrame()
    },
    async closeProducer (p, id) {
      const { room, part } = participantOf(rooms, p)
      closeProducer(room, part, owned(part.producers, 'producer', id), emit)
    },
    async pauseConsumer (p, id) { owned(participantOf(rooms, p).part.consumers, 'consumer', id).paused = true },
    async resumeConsumer (p, id) {
      const c = owned(participantOf(rooms, p).part.consumers, 'consumer', id)
      c.paused = false
      if (c.producer.kind === 'video') c.producer.forwarder.requestKeyFrame()
    },
    async setPreferredLayers (p, id) { owned(participantOf(rooms, p).part.consumers, 'consumer', id) },
    async requestKeyFrame (p, id) { owned(participantOf(rooms, p).part.consumers, 'consumer', id).producer.forwarder.requestKeyFrame() },
    async stats (p): Promise<ParticipantStats> {
      const { part } = participantOf(rooms, p)
      return {
        participantId: part.id,
        transports: [...part.transports.values()].map((t) => ({ id: t.id, direction: t.direction, state: t.state })),
        producers: [...part.producers.values()].map((x) => ({
          id: x.id, kind: x.kind, packets: x.forwarder.packets, bytes: x.forwarder.bytes, paused: x.forwarder.paused
        })),
        consumers: [...part.consumers.values()].map((c) => ({
          id: c.id, producerId: c.producer.id, kind: c.producer.kind, packets: c.packets, bytes: c.bytes, paused: c.paused
        }))
      }
    },
    onEvent (listener) { listeners.add(listener); return () => { listeners.delete(listener) } },
    async dump () {
      return { ...countRooms(rooms), native: { peers: livePeers.size } }
    },
    async close () {
      if (closed) return
      closed = true
      await Promise.all([...rooms.keys()].map(closeRoomNow))
      listeners.clear()
    }
  }
  return engine
}
