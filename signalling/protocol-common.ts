import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type {
  ConsumeOffer, MediaKind, MediaSource, ProduceAnswer, RoomCapabilities, TransportParams
} from '../media/negotiation.js'

/**
 * Shapes shared by requests and notifications. Pure types and schemas, no
 * runtime imports beyond typebox: web/ imports these files as they are.
 */

/** Bumped on any incompatible change; the server refuses other versions with close code 4011. */
export const PROTOCOL_VERSION = 1

/** Opaque random ids: a participant id is per visit and never a user id, so it can travel in TURN usernames and logs. */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })
export const Uuid = Type.String({ minLength: 36, maxLength: 36, pattern: '^[0-9a-fA-F-]{36}$' })
export const IsoTime = Type.String({ maxLength: 40 })

export const ParticipantRoleSchema = Type.Union([
  Type.Literal('patient'), Type.Literal('provider'), Type.Literal('staff'), Type.Literal('guest')
])
export type ParticipantRole = Static<typeof ParticipantRoleSchema>

export const GuestKindSchema = Type.Union([Type.Literal('interpreter'), Type.Literal('family'), Type.Literal('other')])
export type GuestKind = Static<typeof GuestKindSchema>

/** What the provider typed when inviting a guest ("Spanish interpreter"); shown to visit participants only. */
export const GuestLabel = Type.String({ minLength: 1, maxLength: 80 })

// ---- device check (waiting room) ----------------------------------------

export const DeviceStatusSchema = Type.Union([
  Type.Literal('ok'), Type.Literal('blocked'), Type.Literal('missing'), Type.Literal('error'), Type.Literal('untested')
])
/**
 * How the browser reached the media server in its pre-visit check:
 * direct (host/srflx), via TURN over UDP, via TURN over TCP or TLS, or not at all.
 */
export const ConnectivityPathSchema = Type.Union([
  Type.Literal('direct'), Type.Literal('turn-udp'), Type.Literal('turn-tcp'), Type.Literal('turn-tls'),
  Type.Literal('failed'), Type.Literal('untested')
])
export const DeviceCheckSchema = Type.Object({
  camera: DeviceStatusSchema,
  microphone: DeviceStatusSchema,
  connectivity: ConnectivityPathSchema,
  /** Round trip to the media path in ms, when measured. */
  rttMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 }))
}, { additionalProperties: false })
export type DeviceCheck = Static<typeof DeviceCheckSchema>

// ---- participants, queue, chat ------------------------------------------

export const ParticipantInfoSchema = Type.Object({
  participantId: Id,
  role: ParticipantRoleSchema,
  guestKind: Type.Optional(GuestKindSchema),
  label: Type.Optional(GuestLabel),
  /** false while the socket is gone and the grace period runs. */
  connected: Type.Boolean()
}, { additionalProperties: false })
export type ParticipantInfo = Static<typeof ParticipantInfoSchema>

export const QueueEntrySchema = Type.Object({
  participantId: Id,
  role: Type.Union([Type.Literal('patient'), Type.Literal('guest')]),
  guestKind: Type.Optional(GuestKindSchema),
  label: Type.Optional(GuestLabel),
  waitingSince: IsoTime,
  /** null until the browser reports its check. */
  deviceCheck: Type.Union([DeviceCheckSchema, Type.Null()]),
  connected: Type.Boolean(),
  /** true when the provider sent this participant back from the visit. */
  sentBack: Type.Boolean()
}, { additionalProperties: false })
export type QueueEntry = Static<typeof QueueEntrySchema>

export const ChatText = Type.String({ minLength: 1, maxLength: 2000 })
export const ChatMessageSchema = Type.Object({
  messageId: Uuid,
  from: Id,
  sentAt: IsoTime,
  text: ChatText
}, { additionalProperties: false })
export type ChatMessage = Static<typeof ChatMessageSchema>

// ---- media (payloads defined by media/negotiation.ts, passed through) ---

/** Server-to-client media payloads: typed for the client, not validated (the server builds them). */
const opaque = <T>(): TSchema & { static: T } => Type.Unsafe<T>(Type.Object({ engine: Type.String() }, { additionalProperties: true }))
export const RoomCapabilitiesOut = opaque<RoomCapabilities>()
export const TransportParamsOut = opaque<TransportParams>()
export const ProduceAnswerOut = opaque<ProduceAnswer>()
export const ConsumeOfferOut = opaque<ConsumeOffer>()

export const MediaKindOut = Type.Unsafe<MediaKind>(Type.String())
export const MediaSourceOut = Type.Unsafe<MediaSource>(Type.String())

export const ProducerInfoSchema = Type.Object({
  producerId: Id,
  participantId: Id,
  kind: MediaKindOut,
  source: MediaSourceOut,
  paused: Type.Boolean(),
  mimeType: Type.String()
}, { additionalProperties: false })
export type ProducerInfoOut = Static<typeof ProducerInfoSchema>

/** RTCIceServer for the browser: our TURN with REST credentials (expiry:participantId). */
export const IceServerSchema = Type.Object({
  urls: Type.Array(Type.String()),
  username: Type.String(),
  credential: Type.String(),
  expiresAt: IsoTime
}, { additionalProperties: false })
export type IceServerOut = Static<typeof IceServerSchema>

/** Everything an admitted participant needs to render the visit and start media. */
export const VisitSnapshotSchema = Type.Object({
  visitId: Uuid,
  appointmentId: Uuid,
  you: ParticipantInfoSchema,
  participants: Type.Array(ParticipantInfoSchema),
  capabilities: RoomCapabilitiesOut,
  producers: Type.Array(ProducerInfoSchema),
  /** TURN credentials for this participant, valid a little longer than the visit may last. Empty when TURN is off. */
  iceServers: Type.Array(IceServerSchema),
  /** Chat so far (newest last, bounded). */
  chat: Type.Array(ChatMessageSchema),
  activeSpeaker: Type.Union([Id, Type.Null()]),
  /** Staff/provider only: the waiting-room queue. Absent for patients and guests. */
  queue: Type.Optional(Type.Array(QueueEntrySchema))
}, { additionalProperties: false })
export type VisitSnapshot = Static<typeof VisitSnapshotSchema>
