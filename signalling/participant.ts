import type { DeviceCheck, GuestKind, ParticipantInfo, ParticipantRole, QueueEntry, ServerMessage } from './protocol.js'

/** Where a participant's messages go: its current socket, or nothing while it is away. */
export interface SignalSink {
  readonly connectionId: string
  send (m: ServerMessage): void
  close (code: number, reason: string): void
}

export type Identity =
  | { kind: 'user'; userId: string; role: 'patient' | 'provider' | 'staff' }
  | { kind: 'guest'; guestId: string; guestKind: GuestKind; label: string }

/** One person in one visit. Outlives its sockets: a dropped socket leaves it in place for the grace period. */
export interface Participant {
  readonly id: string
  readonly role: ParticipantRole
  readonly identity: Identity
  state: 'waiting' | 'admitted'
  sink: SignalSink | null
  waitingSince: Date
  admittedAt: Date | null
  /** Chat sequence number at admission: a guest sees only the conversation after it. */
  chatFrom?: number
  deviceCheck: DeviceCheck | null
  sentBack: boolean
  /** addParticipant done in the engine (after setCapabilities). */
  inMedia: boolean
  graceTimer: NodeJS.Timeout | null
  resumeHash: string | null
}

export const identityKey = (i: Identity): string => i.kind === 'user' ? `user:${i.userId}` : `guest:${i.guestId}`
export const isHost = (p: Participant): boolean => p.role === 'provider' || p.role === 'staff'
export const actorOf = (p: Participant): { actorId: string; actorRole: string } =>
  p.identity.kind === 'user' ? { actorId: p.identity.userId, actorRole: p.identity.role } : { actorId: p.identity.guestId, actorRole: 'guest' }

export function infoOf (p: Participant): ParticipantInfo {
  return {
    participantId: p.id,
    role: p.role,
    ...(p.identity.kind === 'guest' ? { guestKind: p.identity.guestKind, label: p.identity.label } : {}),
    connected: p.sink !== null
  }
}

export function queueEntryOf (p: Participant): QueueEntry {
  return {
    participantId: p.id,
    role: p.role === 'guest' ? 'guest' : 'patient',
    ...(p.identity.kind === 'guest' ? { guestKind: p.identity.guestKind, label: p.identity.label } : {}),
    waitingSince: p.waitingSince.toISOString(),
    deviceCheck: p.deviceCheck,
    connected: p.sink !== null,
    sentBack: p.sentBack
  }
}
