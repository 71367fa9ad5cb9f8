import type { types as msc } from 'mediasoup-client'

/**
 * The part of mediasoup's API (v3.19 node/lib/*.d.ts) this engine uses.
 * mediasoup is an optional dependency loaded at run time, so its typings are
 * not always installed; these mirror them, and RTP shapes reuse
 * mediasoup-client's (the same JSON on both ends of the wire).
 */
type Listener<A extends unknown[]> = (...args: A) => void

export interface MsWorkerSettings { logLevel?: 'debug' | 'warn' | 'error' | 'none'; appData?: Record<string, unknown> }
export interface MsRouterCodec {
  kind: 'audio' | 'video'; mimeType: string; clockRate: number; channels?: number
  parameters?: Record<string, unknown>; rtcpFeedback?: { type: string; parameter?: string }[]
}
export interface MsListenInfo {
  protocol: 'udp' | 'tcp'; ip: string; announcedAddress?: string; portRange?: { min: number; max: number }
}
export type MsIceState = 'new' | 'connected' | 'completed' | 'disconnected' | 'closed'
export type MsDtlsState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed'

export interface MsModule {
  version: string
  createWorker (settings?: MsWorkerSettings): Promise<MsWorker>
}

export interface MsWorker {
  readonly pid: number
  readonly closed: boolean
  close (): void
  dump (): Promise<{ routerIds: string[] }>
  createRouter (options?: { mediaCodecs?: MsRouterCodec[] }): Promise<MsRouter>
  on (event: 'died', listener: Listener<[Error]>): unknown
}

export interface MsRouter {
  readonly id: string
  readonly closed: boolean
  readonly rtpCapabilities: msc.RtpCapabilities
  close (): void
  dump (): Promise<{ transportIds: string[] }>
  createWebRtcTransport (options: {
    listenInfos: MsListenInfo[]; enableUdp?: boolean; enableTcp?: boolean; preferUdp?: boolean
    initialAvailableOutgoingBitrate?: number; appData?: Record<string, unknown>
  }): Promise<MsWebRtcTransport>
  createActiveSpeakerObserver (options?: { interval?: number }): Promise<MsActiveSpeakerObserver>
  canConsume (o: { producerId: string; rtpCapabilities: msc.RtpCapabilities }): boolean
}

export interface MsWebRtcTransport {
  readonly id: string
  readonly closed: boolean
  readonly iceParameters: msc.IceParameters
  readonly iceCandidates: unknown[]
  readonly dtlsParameters: msc.DtlsParameters
  readonly iceState: MsIceState
  readonly dtlsState: MsDtlsState
  close (): void
  connect (o: { dtlsParameters: msc.DtlsParameters }): Promise<void>
  setMaxIncomingBitrate (bitrate: number): Promise<void>
  produce (o: { kind: 'audio' | 'video'; rtpParameters: msc.RtpParameters; appData?: Record<string, unknown> }): Promise<MsProducer>
  consume (o: { producerId: string; rtpCapabilities: msc.RtpCapabilities; paused?: boolean; appData?: Record<string, unknown> }): Promise<MsConsumer>
  on (event: 'dtlsstatechange', listener: Listener<[MsDtlsState]>): unknown
}

export interface MsStreamStats { type: string; packetCount: number; byteCount: number }

export interface MsProducer {
  readonly id: string
  readonly kind: 'audio' | 'video'
  readonly paused: boolean
  readonly rtpParameters: msc.RtpParameters
  close (): void
  pause (): Promise<void>
  resume (): Promise<void>
  getStats (): Promise<MsStreamStats[]>
}

export interface MsConsumer {
  readonly id: string
  readonly producerId: string
  readonly kind: 'audio' | 'video'
  readonly paused: boolean
  readonly rtpParameters: msc.RtpParameters
  close (): void
  pause (): Promise<void>
  resume (): Promise<void>
  requestKeyFrame (): Promise<void>
  setPreferredLayers (layers: { spatialLayer: number; temporalLayer?: number }): Promise<void>
  getStats (): Promise<MsStreamStats[]>
  on (event: 'producerclose' | 'transportclose', listener: Listener<[]>): unknown
  on (event: 'layerschange', listener: Listener<[({ spatialLayer: number; temporalLayer?: number } | undefined)?]>): unknown
}

export interface MsActiveSpeakerObserver {
  close (): void
  addProducer (o: { producerId: string }): Promise<void>
  removeProducer (o: { producerId: string }): Promise<void>
  on (event: 'dominantspeaker', listener: Listener<[{ producer: { id: string } }]>): unknown
}
