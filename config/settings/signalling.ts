import { Type } from '@sinclair/typebox'
import { setting } from '../define.js'

const int = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum })

export const signalling = {
  ticketTtl: setting('VISIT_TICKET_TTL', int(5, 600), 60,
    'Seconds a visit ticket (from POST /visits/:id/ticket) stays valid; it is single-use and only opens the WebSocket.'),
  guestInviteTtl: setting('GUEST_INVITE_TTL', int(60, 7 * 86400), 4 * 3600,
    'Seconds a one-time guest invite link stays valid.'),
  joinEarlyMinutes: setting('VISIT_JOIN_EARLY_MINUTES', int(0, 24 * 60), 30,
    'How many minutes before an appointment starts its visit may be joined.'),
  joinLateMinutes: setting('VISIT_JOIN_LATE_MINUTES', int(0, 24 * 60), 120,
    'How many minutes after an appointment ends its visit may still be joined.'),
  resumeGrace: setting('WS_RESUME_GRACE', int(1, 600), 30,
    'Seconds a participant whose socket dropped keeps its place (and admission) for a resume.'),
  joinTimeout: setting('WS_JOIN_TIMEOUT', int(1, 120), 10, 'Seconds a new socket has to send join or resume before it is closed (4001).'),
  heartbeatInterval: setting('WS_HEARTBEAT_INTERVAL', int(1, 300), 20,
    'Seconds between server pings; a socket that neither answers a ping nor sends anything for two intervals is closed (4006).'),
  maxMessageBytes: setting('WS_MAX_MESSAGE_BYTES', int(1024, 64 * 1024), 64 * 1024,
    'Largest client message in bytes (SDP included). Larger frames close the socket (1009).'),
  rateBurst: setting('WS_RATE_BURST', int(1, 10_000), 60, 'Messages a socket may send in a burst.'),
  ratePerSecond: setting('WS_RATE_PER_SECOND', int(1, 10_000), 20, 'Sustained messages per second per socket; beyond it messages are refused.'),
  rateStrikes: setting('WS_RATE_STRIKES', int(1, 10_000), 20, 'Refused (over-rate) messages after which the socket is closed (4004).'),
  maxInvalid: setting('WS_MAX_INVALID', int(1, 10_000), 20, 'Invalid messages after which the socket is closed (4003).'),
  maxParticipants: setting('VISIT_MAX_PARTICIPANTS', int(2, 64), 8, 'Participants (admitted and waiting) one visit holds at once.'),
  turnTtl: setting('VISIT_TURN_TTL', int(300, 86400), 4 * 3600, 'Lifetime in seconds of the TURN credentials given to an admitted participant.')
}
