import { Type, type Static, type TSchema } from '@sinclair/typebox'
import {
  ChatMessageSchema, Id, IsoTime, ParticipantInfoSchema, ProducerInfoSchema, QueueEntrySchema, RoomCapabilitiesOut, VisitSnapshotSchema
} from './protocol-common.js'

/** Server → client notifications: `{ event, data }`, never replies (no id). */
const obj = <P extends Record<string, TSchema>>(p: P) => Type.Object(p, { additionalProperties: false })

export const LeftReasonSchema = Type.Union([
  Type.Literal('left'),
  /** The socket dropped and the grace period ran out. */
  Type.Literal('timedOut'),
  Type.Literal('sentToWaiting'),
  Type.Literal('removed')
])

export const Events = {
  // ---- waiting room (to the waiting participant) ------------------------
  /** You are (back) in the waiting room; nothing else of the visit is visible. */
  waiting: obj({ reason: Type.Union([Type.Literal('joined'), Type.Literal('sentBack')]) }),
  /** You were admitted: the full visit, TURN credentials included. */
  admitted: obj({ visit: VisitSnapshotSchema }),
  /** The provider declined you; the socket closes with 4007 right after. */
  declined: obj({}),

  // ---- to hosts (provider/staff) ----------------------------------------
  /** The whole waiting-room queue, sent on every change (joins, device checks, drops). */
  queue: obj({ entries: Type.Array(QueueEntrySchema) }),

  // ---- to admitted participants -----------------------------------------
  participantJoined: obj({ participant: ParticipantInfoSchema }),
  /** The participant's socket dropped; it may come back within graceMs. */
  participantDisconnected: obj({ participantId: Id, graceMs: Type.Integer() }),
  participantReconnected: obj({ participantId: Id }),
  participantLeft: obj({ participantId: Id, reason: LeftReasonSchema }),
  newProducer: obj({ producer: ProducerInfoSchema }),
  producerClosed: obj({ producerId: Id, participantId: Id }),
  producerPaused: obj({ producerId: Id, participantId: Id }),
  producerResumed: obj({ producerId: Id, participantId: Id }),
  /** One of your consumers closed (its producer went away). */
  consumerClosed: obj({ consumerId: Id, producerId: Id }),
  /** One of your transports changed state in the engine. */
  transportState: obj({ transportId: Id, state: Type.Union([Type.Literal('connected'), Type.Literal('failed'), Type.Literal('closed')]) }),
  activeSpeaker: obj({ participantId: Id, producerId: Id }),
  /**
   * The visit's media was lost (its media node went away) and opened again on a live one. Every
   * transport, producer and consumer is gone: build media again from setCapabilities with these
   * capabilities (as after a resume). Still admitted; the others' new producers come as newProducer.
   */
  mediaRestart: obj({ capabilities: RoomCapabilitiesOut }),
  chat: obj({ message: ChatMessageSchema }),

  // ---- to everyone --------------------------------------------------------
  /** The visit is over; the socket closes with 4008 right after. */
  visitEnded: obj({ endedAt: IsoTime }),
  /** Sent just before the server closes the socket, naming why (see CloseCodes). */
  closing: obj({ code: Type.Integer(), reason: Type.String() })
} as const

export type EventName = keyof typeof Events
export type EventData<E extends EventName> = Static<(typeof Events)[E]>
export type Notification = { [E in EventName]: { event: E; data: Static<(typeof Events)[E]> } }[EventName]
