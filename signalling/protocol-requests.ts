import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { ClientCapabilitiesSchema, MediaKindSchema, MediaSourceSchema, ProduceOfferSchema, TransportConnectSchema } from '../media/negotiation.js'
import {
  ChatMessageSchema, ChatText, ConsumeOfferOut, DeviceCheckSchema, GuestKindSchema, GuestLabel, Id, IceServerSchema, IsoTime,
  ParticipantRoleSchema, ProduceAnswerOut, TransportParamsOut, Uuid, VisitSnapshotSchema
} from './protocol-common.js'

/**
 * Client → server requests. Each has `data` (validated by the server) and a
 * `result` (what the ok reply carries). `allowed` says who may call it:
 * 'any' (a socket that has not joined yet: only join/resume), 'waiting'
 * (anyone joined, admitted or not), 'admitted', 'host' (admitted provider/staff).
 */
const obj = <P extends Record<string, TSchema>>(p: P) => Type.Object(p, { additionalProperties: false })
const Empty = obj({})
const Ticket = Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })
const TransportId = Id
const ProducerId = Id
const ConsumerId = Id

const JoinWaiting = obj({
  state: Type.Literal('waiting'),
  visitId: Uuid,
  participantId: Id,
  role: ParticipantRoleSchema,
  resumeToken: Ticket,
  /** Short-lived TURN credentials for the device check's connectivity test. */
  deviceCheckIceServers: Type.Array(IceServerSchema)
})
const JoinAdmitted = obj({
  state: Type.Literal('admitted'),
  visitId: Uuid,
  participantId: Id,
  role: ParticipantRoleSchema,
  resumeToken: Ticket,
  visit: VisitSnapshotSchema
})
export const JoinResultSchema = Type.Union([JoinWaiting, JoinAdmitted])

export const Methods = {
  /** First message on a new socket. The ticket comes from POST /visits/:appointmentId/ticket. */
  join: {
    allowed: 'any',
    data: obj({
      version: Type.Literal(1),
      ticket: Ticket,
      deviceCheck: Type.Optional(DeviceCheckSchema)
    }),
    result: JoinResultSchema
  },
  /**
   * First message on a replacement socket after a drop, instead of join:
   * the resume token from the last join/resume reply (it rotates each time).
   * Within the grace period the participant keeps its place (admitted or
   * waiting); its old media is gone, so it creates transports again (an ICE restart).
   */
  resume: {
    allowed: 'any',
    data: obj({ version: Type.Literal(1), resumeToken: Ticket }),
    result: JoinResultSchema
  },
  /** Application heartbeat (browsers cannot send WebSocket pings); any message also counts as activity. */
  ping: { allowed: 'waiting', data: Empty, result: obj({ now: IsoTime }) },
  /** Report or update the pre-visit device check; the provider's queue shows it. */
  deviceCheck: { allowed: 'waiting', data: DeviceCheckSchema, result: Empty },
  /** Leave the visit (or the waiting room) for good; the socket then closes with 1000. */
  leave: { allowed: 'waiting', data: Empty, result: Empty },

  // ---- host (provider/staff) --------------------------------------------
  admit: { allowed: 'host', data: obj({ participantId: Id }), result: Empty },
  /** Refuses a waiting participant: it gets `declined` and its socket closes with 4007. */
  decline: { allowed: 'host', data: obj({ participantId: Id }), result: Empty },
  /** Moves an admitted participant back to the waiting room (its media closes). */
  sendToWaiting: { allowed: 'host', data: obj({ participantId: Id }), result: Empty },
  /** One-time invite link for a guest, who then waits for admission like the patient. */
  inviteGuest: {
    allowed: 'host',
    data: obj({ guestKind: GuestKindSchema, label: GuestLabel }),
    result: obj({
      inviteId: Uuid,
      /** Secret to put in the link's fragment (#...), never in a path or query. */
      inviteToken: Ticket,
      expiresAt: IsoTime
    })
  },
  /** Ends the visit for everyone: all get `visitEnded` and close 4008; the appointment becomes fulfilled. */
  endVisit: { allowed: 'host', data: Empty, result: Empty },

  // ---- media (mirrors MediaEngine; payloads per media/negotiation.ts) ---
  /** Once per admission, before transports: what this browser can do. */
  setCapabilities: { allowed: 'admitted', data: obj({ capabilities: ClientCapabilitiesSchema }), result: Empty },
  createTransport: {
    allowed: 'admitted',
    data: obj({ direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]) }),
    result: obj({ transport: TransportParamsOut })
  },
  connectTransport: { allowed: 'admitted', data: obj({ transportId: TransportId, connect: TransportConnectSchema }), result: Empty },
  produce: {
    allowed: 'admitted',
    data: obj({ transportId: TransportId, kind: MediaKindSchema, source: MediaSourceSchema, offer: ProduceOfferSchema }),
    result: obj({ producerId: ProducerId, answer: ProduceAnswerOut })
  },
  consume: {
    allowed: 'admitted',
    data: obj({ transportId: TransportId, producerId: ProducerId }),
    result: obj({
      consumerId: ConsumerId, producerId: ProducerId, kind: Type.String(), source: Type.String(),
      paused: Type.Literal(true), offer: ConsumeOfferOut
    })
  },
  resumeConsumer: { allowed: 'admitted', data: obj({ consumerId: ConsumerId }), result: Empty },
  pauseConsumer: { allowed: 'admitted', data: obj({ consumerId: ConsumerId }), result: Empty },
  setPreferredLayers: {
    allowed: 'admitted',
    data: obj({
      consumerId: ConsumerId,
      spatialLayer: Type.Integer({ minimum: 0, maximum: 3 }),
      temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 }))
    }),
    result: Empty
  },
  requestKeyFrame: { allowed: 'admitted', data: obj({ consumerId: ConsumerId }), result: Empty },
  pauseProducer: { allowed: 'admitted', data: obj({ producerId: ProducerId }), result: Empty },
  resumeProducer: { allowed: 'admitted', data: obj({ producerId: ProducerId }), result: Empty },
  closeProducer: { allowed: 'admitted', data: obj({ producerId: ProducerId }), result: Empty },
  /**
   * ICE restart. The engines expose no in-place restart, so the server closes
   * this participant's transports (others see its producers close) and the
   * browser creates transports and produces again; consumers are re-created
   * from the `producers` in the reply.
   */
  restartIce: {
    allowed: 'admitted',
    data: Empty,
    result: obj({ producers: Type.Array(Type.Object({ producerId: ProducerId, participantId: Id }, { additionalProperties: true })) })
  },

  // ---- chat -------------------------------------------------------------
  /** Stored encrypted, delivered to admitted participants present now. */
  chat: { allowed: 'admitted', data: obj({ text: ChatText }), result: obj({ message: ChatMessageSchema }) }
} as const

export type MethodName = keyof typeof Methods
export type Allowed = (typeof Methods)[MethodName]['allowed']
export type DataOf<M extends MethodName> = Static<(typeof Methods)[M]['data']>
export type ResultOf<M extends MethodName> = Static<(typeof Methods)[M]['result']>
export type JoinResult = Static<typeof JoinResultSchema>

/** Request id chosen by the client, echoed in the reply. */
export const RequestId = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

/** The envelope every client message must have; `data` is then checked against Methods[method].data. */
export const ClientEnvelopeSchema = Type.Object({
  id: RequestId,
  method: Type.String({ minLength: 1, maxLength: 40 }),
  data: Type.Optional(Type.Object({}, { additionalProperties: true }))
}, { additionalProperties: false })

/** One request, typed per method (the protoo-style union from STYLE.md). */
export type ClientRequest = { [M in MethodName]: { id: number; method: M; data: DataOf<M> } }[MethodName]
