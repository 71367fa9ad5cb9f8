import { Type, type Static } from '@sinclair/typebox'
import type { ClientRequest, MethodName, ResultOf } from './protocol-requests.js'
import type { Notification } from './protocol-events.js'

/**
 * Bedside signalling protocol, version 1: JSON text frames over one
 * WebSocket (GET /ws). Documented with examples in signalling/PROTOCOL.md.
 *
 *   client → server  { id, method, data }                       (requests)
 *   server → client  { id, ok: true, result }                   (reply)
 *                    { id, ok: false, error: { code, message } } (error reply; id null when unreadable)
 *                    { event, data }                             (notifications)
 *
 * The first message must be `join` (with a visit ticket) or `resume` (with a
 * resume token). Nothing secret is ever in the URL.
 */
export * from './protocol-common.js'
export * from './protocol-requests.js'
export * from './protocol-events.js'

/** Error codes in error replies. Messages name the problem (a field, a method), never a value sent. */
export const ErrorCodes = {
  badJson: 'BDS_WS_BAD_JSON',
  validation: 'BDS_WS_VALIDATION',
  unknownMethod: 'BDS_WS_UNKNOWN_METHOD',
  notJoined: 'BDS_WS_NOT_JOINED',
  alreadyJoined: 'BDS_WS_ALREADY_JOINED',
  /** In the waiting room: only ping, deviceCheck and leave are allowed. */
  notAdmitted: 'BDS_WS_NOT_ADMITTED',
  forbidden: 'BDS_WS_FORBIDDEN',
  notFound: 'BDS_WS_NOT_FOUND',
  conflict: 'BDS_WS_CONFLICT',
  ticketInvalid: 'BDS_WS_TICKET_INVALID',
  versionUnsupported: 'BDS_WS_VERSION_UNSUPPORTED',
  visitEnded: 'BDS_WS_VISIT_ENDED',
  /** The media engine refused (bad SDP, unknown id...); `message` carries its reason. */
  media: 'BDS_WS_MEDIA',
  rateLimited: 'BDS_WS_RATE_LIMITED',
  internal: 'BDS_WS_INTERNAL'
} as const
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/** WebSocket close codes. 1000/1001/1009 are the standard ones; 4xxx are Bedside's. */
export const CloseCodes = {
  normal: 1000,
  /** Server shutting down; reconnect with `resume`. */
  goingAway: 1001,
  /** A frame over the size limit (the server's WebSocket layer closes with this). */
  messageTooBig: 1009,
  /** No join/resume within the join timeout. */
  joinTimeout: 4001,
  /** Ticket or resume token unknown, expired or used. Get a new ticket. */
  ticketInvalid: 4002,
  /** Too many invalid messages. */
  protocolViolation: 4003,
  /** Message rate over the per-connection limit. */
  rateLimited: 4004,
  /** Heartbeat missed (no pong / no traffic). Reconnect with `resume`. */
  idle: 4006,
  declined: 4007,
  visitEnded: 4008,
  /** The same participant resumed on another socket. */
  replaced: 4009,
  versionUnsupported: 4011,
  internal: 4500
} as const
export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes]

export const ErrorInfoSchema = Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false })
export type ErrorInfo = Static<typeof ErrorInfoSchema>

export type OkReply<M extends MethodName = MethodName> = { id: number; ok: true; result: ResultOf<M> }
export interface ErrorReply { id: number | null; ok: false; error: ErrorInfo }
export type Reply = OkReply | ErrorReply

/** Everything the server sends. */
export type ServerMessage = Reply | Notification
/** Everything a client sends. */
export type ClientMessage = ClientRequest
