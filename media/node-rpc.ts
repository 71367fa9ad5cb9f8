import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { EngineKind } from './negotiation.js'
import type { MediaEvent } from './engine.js'
import { ClientCapabilitiesSchema, MediaKindSchema, MediaSourceSchema, ProduceOfferSchema, TransportConnectSchema } from './negotiation.js'

/**
 * The wire between an API process and a media node (node-server.ts serves it,
 * remote-engine.ts calls it): JSON text frames over one WebSocket, the shared
 * secret in the upgrade's Authorization header.
 *
 *   API → node   { id, method, data }                          one per MediaEngine method
 *   node → API   { id, ok: true, result }
 *                { id, ok: false, error: { code, statusCode, message } }   (id null when unreadable)
 *                { hello: { nodeId, engine } }                 once, right after the upgrade
 *                { event: MediaEvent }                         events of the rooms this connection created
 *
 * Ids and media payloads only: nothing here names a patient.
 */
const Id = Type.String({ minLength: 1, maxLength: 128 })
const obj = <P extends Record<string, TSchema>>(p: P) => Type.Object(p, { additionalProperties: false })
const Ref = obj({ visitId: Id, participantId: Id })
const Direction = Type.Union([Type.Literal('send'), Type.Literal('recv')])

export const RpcMethods = {
  createRoom: obj({ visitId: Id }),
  closeRoom: obj({ visitId: Id }),
  listProducers: obj({ visitId: Id }),
  addParticipant: obj({ ref: Ref, client: ClientCapabilitiesSchema }),
  closeParticipant: obj({ ref: Ref }),
  createTransport: obj({ ref: Ref, direction: Direction }),
  connectTransport: obj({ ref: Ref, transportId: Id, connect: TransportConnectSchema }),
  produce: obj({ ref: Ref, transportId: Id, req: obj({ kind: MediaKindSchema, source: MediaSourceSchema, offer: ProduceOfferSchema }) }),
  consume: obj({ ref: Ref, transportId: Id, producerId: Id }),
  pauseProducer: obj({ ref: Ref, producerId: Id }),
  resumeProducer: obj({ ref: Ref, producerId: Id }),
  closeProducer: obj({ ref: Ref, producerId: Id }),
  pauseConsumer: obj({ ref: Ref, consumerId: Id }),
  resumeConsumer: obj({ ref: Ref, consumerId: Id }),
  setPreferredLayers: obj({
    ref: Ref, consumerId: Id,
    layers: obj({ spatialLayer: Type.Integer({ minimum: 0, maximum: 9 }), temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 9 })) })
  }),
  requestKeyFrame: obj({ ref: Ref, consumerId: Id }),
  stats: obj({ ref: Ref }),
  dump: obj({})
} as const

export type RpcMethod = keyof typeof RpcMethods
export type RpcData<M extends RpcMethod> = Static<(typeof RpcMethods)[M]>

export const RpcRequestSchema = Type.Object({
  id: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  method: Type.String({ minLength: 1, maxLength: 32 }),
  data: Type.Optional(Type.Unknown())
}, { additionalProperties: false })

export interface RpcErrorInfo { code: string; statusCode: number; message: string }

/**
 * What the API accepts from a node (checked before use: a frame of any other
 * shape is dropped, so a faulty node cannot throw inside the API process).
 * Events are checked for what routing reads; the engine event types say the rest.
 */
export const NodeMessageSchema = Type.Union([
  Type.Object({ id: Type.Integer(), ok: Type.Literal(true), result: Type.Unknown() }),
  Type.Object({
    id: Type.Union([Type.Integer(), Type.Null()]), ok: Type.Literal(false),
    error: Type.Object({ code: Type.String(), statusCode: Type.Integer(), message: Type.String() })
  }),
  Type.Object({ hello: Type.Object({ nodeId: Type.String(), engine: Type.Union([Type.Literal('mediasoup'), Type.Literal('werift')]) }) }),
  Type.Object({ event: Type.Object({ type: Type.String(), visitId: Type.String() }) })
])

export type NodeMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number | null; ok: false; error: RpcErrorInfo }
  | { hello: { nodeId: string; engine: EngineKind } }
  | { event: MediaEvent }

/** Largest frame either side accepts; SDP is capped at 64 KiB by the schemas. */
export const RPC_MAX_BYTES = 256 * 1024

export const isRpcMethod = (m: string): m is RpcMethod => Object.prototype.hasOwnProperty.call(RpcMethods, m)
