import type {
  ClientCapabilities, ConsumeOffer, EngineKind, MediaKind, MediaSource, ProduceAnswer, ProduceOffer,
  RoomCapabilities, TransportConnect, TransportDirection, TransportParams
} from './negotiation.js'

export type * from './negotiation.js'

/**
 * The one surface signalling talks to. Engines (werift, mediasoup) live behind
 * createMediaEngine(); nothing outside media/ imports them. Every call names
 * the participant it acts for, and engines refuse ids that belong to someone
 * else, so a browser cannot steer another participant's media by guessing ids.
 */
export interface ParticipantRef { visitId: string; participantId: string }

export interface ProduceRequest { kind: MediaKind; source: MediaSource; offer: ProduceOffer }
export interface Produced { producerId: string; answer: ProduceAnswer }

export interface Consumed {
  consumerId: string
  producerId: string
  kind: MediaKind
  source: MediaSource
  /** Always true: the browser sets up its side, then calls resumeConsumer(). */
  paused: true
  offer: ConsumeOffer
}

export interface ProducerInfo {
  producerId: string; participantId: string; kind: MediaKind; source: MediaSource; paused: boolean
  /** Codec the publisher sends, e.g. video/VP8 (what the forwarded stream decodes as). */
  mimeType: string
}

export interface Layers { spatialLayer: number; temporalLayer?: number }

export type MediaEvent =
  | { type: 'activeSpeaker'; visitId: string; participantId: string; producerId: string }
  | { type: 'producerClosed'; visitId: string; participantId: string; producerId: string }
  | { type: 'consumerClosed'; visitId: string; participantId: string; consumerId: string; producerId: string }
  | { type: 'transportState'; visitId: string; participantId: string; transportId: string; state: 'connected' | 'failed' | 'closed' }
  /**
   * Media on nodes only (remote-engine.ts): the node holding the visit's room died or was replaced.
   * Everything of the room is gone; createRoom places it again on a live node.
   */
  | { type: 'roomLost'; visitId: string }

export interface StreamStats {
  id: string; kind: MediaKind; packets: number; bytes: number; paused: boolean
}
export interface ParticipantStats {
  participantId: string
  transports: { id: string; direction: TransportDirection; state: string }[]
  producers: StreamStats[]
  /** Packets the engine sent to this participant, per consumer. */
  consumers: (StreamStats & { producerId: string })[]
}

/** What the engine holds right now; after close everything must be zero. */
export interface EngineDump {
  rooms: number; participants: number; transports: number; producers: number; consumers: number
  /** What the engine underneath still holds: werift { peers }, mediasoup { routers, transports } from worker dumps. */
  native: Record<string, number>
}

export interface MediaEngine {
  readonly kind: EngineKind
  /** Idempotent: returns the existing room's capabilities when it exists. */
  createRoom (visitId: string): Promise<RoomCapabilities>
  /** Closes every participant, transport, producer and consumer of the visit. */
  closeRoom (visitId: string): Promise<void>
  addParticipant (p: ParticipantRef, client: ClientCapabilities): Promise<void>
  /** Closes all of the participant's transports; its producers' consumers close too. */
  closeParticipant (p: ParticipantRef): Promise<void>
  createTransport (p: ParticipantRef, direction: TransportDirection): Promise<TransportParams>
  connectTransport (p: ParticipantRef, transportId: string, connect: TransportConnect): Promise<void>
  produce (p: ParticipantRef, transportId: string, req: ProduceRequest): Promise<Produced>
  /** Consumers start paused; call resumeConsumer once the browser is ready to render. */
  consume (p: ParticipantRef, transportId: string, producerId: string): Promise<Consumed>
  /** Producers in the visit, for a joining participant to subscribe to. */
  listProducers (visitId: string): ProducerInfo[]
  pauseProducer (p: ParticipantRef, producerId: string): Promise<void>
  resumeProducer (p: ParticipantRef, producerId: string): Promise<void>
  closeProducer (p: ParticipantRef, producerId: string): Promise<void>
  pauseConsumer (p: ParticipantRef, consumerId: string): Promise<void>
  /** Resumes and asks the publisher for a keyframe so the picture starts at once. */
  resumeConsumer (p: ParticipantRef, consumerId: string): Promise<void>
  /** Simulcast layer preference (mediasoup); engines without layers ignore it. */
  setPreferredLayers (p: ParticipantRef, consumerId: string, layers: Layers): Promise<void>
  requestKeyFrame (p: ParticipantRef, consumerId: string): Promise<void>
  stats (p: ParticipantRef): Promise<ParticipantStats>
  /** Returns an unsubscribe function. Listeners must not throw. */
  onEvent (listener: (e: MediaEvent) => void): () => void
  dump (): Promise<EngineDump>
  /** Closes every room and releases workers/sockets. Idempotent. */
  close (): Promise<void>
}

export interface IceServer { urls: string | string[]; username?: string; credential?: string }

/** Engine settings; built from config section `media` by the caller (engines never read config). */
export interface MediaEngineConfig {
  engine: 'auto' | EngineKind
  /** Local address to bind RTP sockets to (0.0.0.0 for all). */
  listenIp: string
  /** Address browsers should reach us at, when it differs from listenIp (NAT, container). */
  announcedAddress?: string
  rtcMinPort: number
  rtcMaxPort: number
  /** werift only: the server-side peer's ICE servers (our own TURN); never public STUN. */
  iceServers: IceServer[]
  /** werift only: how long a server offer waits for the browser's answer before the transport is closed (default 15 s). */
  negotiationTimeoutMs?: number
  /** mediasoup only */
  workers: number
  workerBin?: string
  /** Where to import mediasoup from when it is not installed with Bedside (a directory or entry file). */
  mediasoupModule?: string
  maxIncomingBitrate: number
  initialOutgoingBitrate: number
}

export interface EngineLogger {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

/**
 * Picks the engine. `auto` tries mediasoup (its worker must start) and falls
 * back to werift, logging which it chose and why.
 */
export async function createMediaEngine (config: MediaEngineConfig, log: EngineLogger): Promise<MediaEngine> {
  if (config.engine === 'werift') {
    const { createWeriftEngine } = await import('./werift/engine.js')
    log.info({ engine: 'werift' }, 'media engine: werift (MEDIA_ENGINE=werift)')
    return createWeriftEngine(config, log)
  }
  const { createMediasoupEngine } = await import('./mediasoup/engine.js')
  try {
    const engine = await createMediasoupEngine(config, log)
    log.info({ engine: 'mediasoup' }, `media engine: mediasoup (MEDIA_ENGINE=${config.engine})`)
    return engine
  } catch (err) {
    if (config.engine === 'mediasoup') throw err
    const { createWeriftEngine } = await import('./werift/engine.js')
    log.warn({ engine: 'werift', reason: (err as Error).message },
      'media engine: werift (MEDIA_ENGINE=auto and the mediasoup worker did not start)')
    return createWeriftEngine(config, log)
  }
}
