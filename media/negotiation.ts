import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { types as msc } from 'mediasoup-client'

/**
 * What crosses the wire between the browser and an engine, per engine. Visit
 * logic passes these through untouched (it only reads `engine`); the browser
 * hands mediasoup payloads to mediasoup-client's Device and werift payloads to
 * a plain RTCPeerConnection. Pure types and schemas: web/ may import this file.
 */
export type EngineKind = 'mediasoup' | 'werift'
export type MediaKind = 'audio' | 'video'
/** Screen share is its own producer so subscribers can treat it differently. */
export type MediaSource = 'mic' | 'camera' | 'screen'
export type TransportDirection = 'send' | 'recv'

/** Everything a browser must know before it can negotiate with a room. */
export type RoomCapabilities =
  | { engine: 'mediasoup'; routerRtpCapabilities: msc.RtpCapabilities }
  | { engine: 'werift'; codecs: { audio: string[]; video: string[] } }

/** The browser's answer to RoomCapabilities, given once per participant. */
export type ClientCapabilities =
  | { engine: 'mediasoup'; rtpCapabilities: msc.RtpCapabilities }
  | { engine: 'werift' }

/** A created transport. mediasoup: feed to device.create{Send,Recv}Transport. werift: one RTCPeerConnection. */
export type TransportParams =
  | {
      engine: 'mediasoup'; id: string; iceParameters: msc.IceParameters
      iceCandidates: msc.IceCandidate[]; dtlsParameters: msc.DtlsParameters
    }
  | { engine: 'werift'; id: string }

/**
 * mediasoup: the transport's 'connect' event (once). werift: the browser's SDP
 * answer to the offer a consume() returned (after every consume).
 */
export type TransportConnect =
  | { engine: 'mediasoup'; dtlsParameters: msc.DtlsParameters }
  | { engine: 'werift'; answer: string }

/**
 * mediasoup: the transport's 'produce' event. werift: the browser's SDP offer
 * after adding a sendonly transceiver, and that transceiver's mid. The browser
 * must wait for ICE gathering to complete (no trickle) before sending SDP.
 */
export type ProduceOffer =
  | { engine: 'mediasoup'; rtpParameters: msc.RtpParameters }
  | { engine: 'werift'; offer: string; mid: string }

export type ProduceAnswer =
  | { engine: 'mediasoup' }
  | { engine: 'werift'; answer: string }

/** mediasoup: recvTransport.consume({ id, producerId, kind, rtpParameters }). werift: set this offer, answer via connectTransport. */
export type ConsumeOffer =
  | { engine: 'mediasoup'; rtpParameters: msc.RtpParameters }
  | { engine: 'werift'; offer: string; mid: string }

// Schemas for what arrives from browsers. The mediasoup shapes are checked
// loosely here and strictly by mediasoup itself (it rejects bad parameters).
const Sdp = Type.String({ minLength: 10, maxLength: 64 * 1024, pattern: '^v=0' })
const Mid = Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_.-]+$' })
const loose = <T>(): TSchema & { static: T } =>
  Type.Unsafe<T>(Type.Object({}, { additionalProperties: true, maxProperties: 64 }))
const ms = Type.Literal('mediasoup')
const wr = Type.Literal('werift')

export const ClientCapabilitiesSchema = Type.Union([
  Type.Object({ engine: ms, rtpCapabilities: loose<msc.RtpCapabilities>() }, { additionalProperties: false }),
  Type.Object({ engine: wr }, { additionalProperties: false })
])
export const TransportConnectSchema = Type.Union([
  Type.Object({ engine: ms, dtlsParameters: loose<msc.DtlsParameters>() }, { additionalProperties: false }),
  Type.Object({ engine: wr, answer: Sdp }, { additionalProperties: false })
])
export const ProduceOfferSchema = Type.Union([
  Type.Object({ engine: ms, rtpParameters: loose<msc.RtpParameters>() }, { additionalProperties: false }),
  Type.Object({ engine: wr, offer: Sdp, mid: Mid }, { additionalProperties: false })
])
export const MediaKindSchema = Type.Union([Type.Literal('audio'), Type.Literal('video')])
export const MediaSourceSchema = Type.Union([Type.Literal('mic'), Type.Literal('camera'), Type.Literal('screen')])

// Compile-time proof that the schemas describe the types above.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const proofs: [
  Same<Static<typeof ClientCapabilitiesSchema>, ClientCapabilities>,
  Same<Static<typeof TransportConnectSchema>, TransportConnect>,
  Same<Static<typeof ProduceOfferSchema>, ProduceOffer>
] = [true, true, true]
void proofs
