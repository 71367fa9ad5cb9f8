import {
  RtcpPayloadSpecificFeedback, PictureLossIndication,
  type MediaStreamTrack, type RtcpPacket, type RtpPacket, type RTCRtpReceiver, type RTCRtpSender
} from 'werift'

/**
 * One publisher's RTP fanned out to its subscribers without decoding. werift's
 * sendRtp rewrites the packet it is given (SSRC, payload type, sequence number,
 * extensions) and keeps it for retransmission, so every subscriber gets its
 * own clone. Keyframe requests from subscribers are merged into at most one
 * PLI per `pliIntervalMs` towards the publisher.
 */
export interface Sink {
  readonly id: string
  sender: RTCRtpSender
  paused: boolean
  packets: number
  bytes: number
}

export interface ForwarderOptions {
  receiver: RTCRtpReceiver
  pliIntervalMs?: number
  /** Called for every incoming packet (audio level for the speaker detector). */
  onPacket?: (rtp: RtpPacket, extensions: Record<string, unknown> | undefined) => void
}

export interface Forwarder {
  attach (track: MediaStreamTrack): void
  addSink (sink: Sink): void
  removeSink (sinkId: string): void
  /** Merged and throttled; safe to call once per subscriber event. */
  requestKeyFrame (): void
  /** Relays a subscriber's RTCP; PLI and FIR become a (throttled) keyframe request. */
  handleSubscriberRtcp (rtcp: RtcpPacket): void
  paused: boolean
  readonly packets: number
  readonly bytes: number
  readonly sinks: ReadonlyMap<string, Sink>
  close (): void
}

export function createForwarder (o: ForwarderOptions): Forwarder {
  const interval = o.pliIntervalMs ?? 300
  const sinks = new Map<string, Sink>()
  const unsubscribes: (() => void)[] = []
  let mediaSsrc: number | undefined
  let lastPliAt = 0
  let pliTimer: NodeJS.Timeout | undefined
  let closed = false
  let packets = 0
  let bytes = 0

  const sendPli = (): void => {
    if (closed || mediaSsrc === undefined) return
    lastPliAt = Date.now()
    o.receiver.sendRtcpPLI(mediaSsrc).catch(() => { /* transport closing; the next request retries */ })
  }

  const forward = (rtp: RtpPacket, ext: Record<string, unknown> | undefined): void => {
    packets++
    bytes += rtp.payload.length
    o.onPacket?.(rtp, ext)
    // Padding-only probes carry no media and would confuse the depacketiser.
    if (f.paused || rtp.payload.length === 0) return
    for (const sink of sinks.values()) {
      if (sink.paused) continue
      const copy = rtp.clone()
      // The publisher's extension ids mean nothing on the subscriber's session.
      copy.header.extensions = []
      sink.packets++
      sink.bytes += copy.payload.length
      sink.sender.sendRtp(copy).catch(() => { /* subscriber gone; its close removes the sink */ })
    }
  }

  const f: Forwarder = {
    paused: false,
    get packets () { return packets },
    get bytes () { return bytes },
    sinks,
    attach (track) {
      mediaSsrc ??= track.ssrc
      const { unSubscribe } = track.onReceiveRtp.subscribe((rtp, ext) => {
        mediaSsrc ??= rtp.header.ssrc
        forward(rtp, ext as Record<string, unknown> | undefined)
      })
      unsubscribes.push(unSubscribe)
    },
    addSink (sink) { sinks.set(sink.id, sink) },
    removeSink (id) { sinks.delete(id) },
    requestKeyFrame () {
      if (closed || pliTimer) return
      const wait = lastPliAt + interval - Date.now()
      if (wait <= 0) { sendPli(); return }
      // Within the interval: one deferred PLI answers every request made meanwhile.
      pliTimer = setTimeout(() => { pliTimer = undefined; sendPli() }, wait)
      pliTimer.unref()
    },
    handleSubscriberRtcp (rtcp) {
      if (rtcp.type !== RtcpPayloadSpecificFeedback.type) return
      const count = (rtcp as RtcpPayloadSpecificFeedback).feedback.count
      // FMT 4 is FIR (RFC 5104); werift does not export its class from the package root.
      if (count === PictureLossIndication.count || count === 4) f.requestKeyFrame()
    },
    close () {
      if (closed) return
      closed = true
      if (pliTimer) clearTimeout(pliTimer)
      for (const u of unsubscribes) u()
      sinks.clear()
    }
  }
  return f
}
