import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift'
import type { MediaKind, MediaSource, TransportDirection } from '../negotiation.js'
import { MediaObjectNotFound, MediaParticipantNotFound, MediaRoomNotFound } from '../errors.js'
import type { ParticipantRef } from '../engine.js'
import type { Forwarder, Sink } from './forwarder.js'
import type { OfferGate } from './peer.js'
import type { SpeakerDetector } from './speaker.js'

export interface WTransport {
  id: string
  direction: TransportDirection
  pc: RTCPeerConnection
  /** recv: server offers wait for the browser's answer one at a time. */
  gate?: OfferGate
  /** send: browser offers are applied one at a time. */
  chain: Promise<unknown>
  state: string
}

export interface WProducer {
  id: string
  participantId: string
  transportId: string
  kind: MediaKind
  source: MediaSource
  transceiver: RTCRtpTransceiver
  forwarder: Forwarder
}

export interface WConsumer extends Sink {
  participantId: string
  transportId: string
  producer: WProducer
  transceiver: RTCRtpTransceiver
  unsubscribeRtcp: () => void
}

export interface WParticipant {
  id: string
  transports: Map<string, WTransport>
  producers: Map<string, WProducer>
  consumers: Map<string, WConsumer>
}

export interface WRoom {
  visitId: string
  participants: Map<string, WParticipant>
  producers: Map<string, WProducer>
  speaker: SpeakerDetector
}

export type Rooms = Map<string, WRoom>

export function roomOf (rooms: Rooms, visitId: string): WRoom {
  const room = rooms.get(visitId)
  if (!room) throw new MediaRoomNotFound(visitId)
  return room
}

export function participantOf (rooms: Rooms, p: ParticipantRef): { room: WRoom; part: WParticipant } {
  const room = roomOf(rooms, p.visitId)
  const part = room.participants.get(p.participantId)
  if (!part) throw new MediaParticipantNotFound(p.participantId)
  return { room, part }
}

export function owned<T> (map: Map<string, T>, what: string, id: string): T {
  const v = map.get(id)
  if (v === undefined) throw new MediaObjectNotFound(what, id)
  return v
}
