import type {
  ClientCapabilities, EngineKind, MediaKind, MediaSource, ProducerInfoOut, RoomCapabilities, Signaller
} from '../protocol.js'

/**
 * What the shared page code asks of a media engine's browser side. One
 * adapter per engine: mediasoup-client's Device for mediasoup, plain
 * RTCPeerConnections with SDP offer/answer for werift. Everything above this
 * interface (visit page, reconnect, stats) is engine-blind.
 */
export interface MediaAdapter {
  readonly engine: EngineKind
  /** Reads the room's capabilities; returns what to send in setCapabilities. */
  load (caps: RoomCapabilities): Promise<ClientCapabilities>
  /** Creates the send and receive transports on the server and here. */
  start (): Promise<void>
  produce (track: MediaStreamTrack, source: MediaSource): Promise<LocalProducer>
  /** Subscribes to a producer; the returned track already flows (the consumer was resumed). */
  consume (producer: ProducerInfoOut): Promise<RemoteConsumer>
  /** Every RTCStatsReport of this participant's transports (quality indicator, tests). */
  stats (): Promise<RTCStatsReport[]>
  /** Local teardown only: the server side is closed by leave/restartIce. Idempotent. */
  close (): void
}

export interface LocalProducer {
  readonly id: string
  readonly kind: MediaKind
  readonly source: MediaSource
  /** Pausing stops forwarding on the server too, so others see the camera as off. */
  pause (): Promise<void>
  resume (): Promise<void>
  replaceTrack (track: MediaStreamTrack | null): Promise<void>
  close (): Promise<void>
}

export interface RemoteConsumer {
  readonly id: string
  readonly producerId: string
  readonly participantId: string
  readonly kind: MediaKind
  readonly source: MediaSource
  readonly track: MediaStreamTrack
  /** Stats of this consumer only (werift: picked by mid; mediasoup: the consumer's receiver). */
  getStats (): Promise<RTCStatsReport>
  close (): void
}

export interface AdapterOptions {
  signal: Signaller
  iceServers: RTCIceServer[]
  /** 'relay' forces TURN (used by strict networks and by the relay test). */
  iceTransportPolicy: RTCIceTransportPolicy
  /** A transport's ICE/DTLS failed for good: the page restarts ICE. */
  onTransportFailed (): void
}

/** Non-trickle SDP: wait until every candidate is in the description (bounded). */
export function gathered (pc: RTCPeerConnection, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') { resolve(); return }
    const t = window.setTimeout(done, timeoutMs)
    function done (): void { window.clearTimeout(t); pc.removeEventListener('icegatheringstatechange', check); resolve() }
    function check (): void { if (pc.iceGatheringState === 'complete') done() }
    pc.addEventListener('icegatheringstatechange', check)
  })
}

/**
 * Calls onFailed when the peer fails, or stays disconnected for `graceMs`
 * (a network change or outage; Chromium takes ~30 s to declare 'failed').
 */
export function watchConnection (state: () => string, subscribe: (fn: () => void) => void, onFailed: () => void, graceMs = 3000): void {
  let timer: number | undefined
  subscribe(() => {
    const s = state()
    window.clearTimeout(timer)
    if (s === 'failed') onFailed()
    else if (s === 'disconnected') timer = window.setTimeout(() => { if (state() === 'disconnected') onFailed() }, graceMs)
  })
}

/** Runs async steps one at a time (renegotiations on one peer must not interleave). */
export function serial (): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return (fn) => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => undefined)
    return run
  }
}
