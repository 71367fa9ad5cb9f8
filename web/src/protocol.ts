import type {
  CloseCodes as ServerCloseCodes, DataOf, EventData, EventName, JoinResult, MethodName, ResultOf, ServerMessage
} from '../../signalling/protocol.js'

export type {
  ChatMessage, DeviceCheck, EventData, EventName, IceServerOut, JoinResult, MethodName, ParticipantInfo, ProducerInfoOut,
  QueueEntry, VisitSnapshot
} from '../../signalling/protocol.js'
export type {
  ClientCapabilities, EngineKind, MediaKind, MediaSource, RoomCapabilities, TransportParams
} from '../../media/negotiation.js'
export type { DataOf, ResultOf, ServerMessage }

/**
 * The close codes the client acts on. web/ shares only types with the server,
 * so this is a copy; typing it as the server's constant makes tsc fail if
 * the two ever differ.
 */
export const CLOSE: typeof ServerCloseCodes = {
  normal: 1000, goingAway: 1001, messageTooBig: 1009, joinTimeout: 4001, ticketInvalid: 4002, protocolViolation: 4003,
  rateLimited: 4004, idle: 4006, declined: 4007, visitEnded: 4008, replaced: 4009, versionUnsupported: 4011, internal: 4500
}

export const PROTOCOL_VERSION = 1 as const

/** What media code needs from the socket: typed requests. */
export interface Signaller {
  request<M extends MethodName>(method: M, data: DataOf<M>): Promise<ResultOf<M>>
}

export type EventHandler = <E extends EventName>(event: E, data: EventData<E>) => void
export type { JoinResult as JoinReply }
