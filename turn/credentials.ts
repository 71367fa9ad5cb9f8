import { createHmac, timingSafeEqual } from 'node:crypto'
import createError from '@fastify/error'

/**
 * TURN REST credentials (draft-uberti-behave-turn-rest, coturn's
 * use-auth-secret): the username carries its own expiry and the password is
 * derived from a secret shared with every TURN server, so the API never
 * stores TURN passwords and the bundled TURN and coturn accept the same ones.
 */

export const InvalidTurnRequest = createError<'BDS_ERR_TURN_REQUEST', 400, [string]>(
  'BDS_ERR_TURN_REQUEST', 'Invalid TURN credential request: %s', 400)
export const TurnNotConfigured = createError<'BDS_ERR_TURN_NOT_CONFIGURED', 503, []>(
  'BDS_ERR_TURN_NOT_CONFIGURED', 'TURN is not configured', 503)

/** Opaque ids only: the username travels in clear in every TURN request, so no names or emails. */
const PARTICIPANT_ID = /^[A-Za-z0-9_-]{1,128}$/
const USERNAME = /^(\d{1,12}):([A-Za-z0-9_-]{1,128})$/

export interface TurnCredentialSettings {
  /** Shared secret; unset means TURN is off. */
  secret: string | undefined
  urls: string[]
  /** Longest lifetime a caller may ask for, in seconds. */
  maxTtlSeconds: number
  /** Clock in milliseconds; tests pass their own. */
  now?: () => number
}

export interface TurnCredentialRequest {
  participantId: string
  ttlSeconds: number
}

export interface TurnCredentials {
  urls: string[]
  username: string
  credential: string
  /** ISO 8601; the TURN server refuses the credential from then on. */
  expiresAt: string
}

export const MIN_TTL_SECONDS = 60
/** How much longer than the admission window a credential lives: covers clock skew and a late join. */
export const TTL_MARGIN_SECONDS = 300

/** The ttl to pass for a visit whose participants may be admitted for `admissionWindowSeconds` from now. */
export function turnTtlForAdmissionWindow (admissionWindowSeconds: number, maxTtlSeconds: number): number {
  const ttl = Math.ceil(Math.max(0, admissionWindowSeconds)) + TTL_MARGIN_SECONDS
  return Math.min(Math.max(ttl, MIN_TTL_SECONDS), maxTtlSeconds)
}

/** password = base64(HMAC-SHA1(secret, username)), as coturn computes it. */
export function turnPassword (secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64')
}

/**
 * Credentials for one participant of a visit. Callers pass a ttl slightly
 * longer than the visit's admission window: a browser keeps refreshing its
 * allocation with the same username, and the server refuses it once expired.
 */
export function issueTurnCredentials (req: TurnCredentialRequest, settings: TurnCredentialSettings): TurnCredentials {
  if (settings.secret === undefined || settings.urls.length === 0) throw new TurnNotConfigured()
  if (typeof req.participantId !== 'string' || !PARTICIPANT_ID.test(req.participantId)) {
    throw new InvalidTurnRequest('participantId must be an opaque id of letters, digits, _ or -')
  }
  if (!Number.isInteger(req.ttlSeconds) || req.ttlSeconds < MIN_TTL_SECONDS || req.ttlSeconds > settings.maxTtlSeconds) {
    throw new InvalidTurnRequest(`ttlSeconds must be an integer from ${MIN_TTL_SECONDS} to ${settings.maxTtlSeconds}`)
  }
  const nowMs = (settings.now ?? Date.now)()
  const expiry = Math.floor(nowMs / 1000) + req.ttlSeconds
  const username = `${expiry}:${req.participantId}`
  return {
    urls: [...settings.urls],
    username,
    credential: turnPassword(settings.secret, username),
    expiresAt: new Date(expiry * 1000).toISOString()
  }
}

export type UsernameCheck =
  | { ok: true, participantId: string, expiry: number }
  | { ok: false, reason: 'malformed' | 'expired' }

/** Reads `expiry:participantId`; expiry is in Unix seconds. */
export function checkTurnUsername (username: string, nowMs: number): UsernameCheck {
  const m = USERNAME.exec(username)
  if (m === null) return { ok: false, reason: 'malformed' }
  const expiry = Number(m[1])
  if (expiry * 1000 <= nowMs) return { ok: false, reason: 'expired' }
  return { ok: true, participantId: m[2], expiry }
}

/** Constant-time check of a username/password pair, for callers that see the password (e.g. tests, admin tools). */
export function verifyTurnCredentials (secret: string, username: string, password: string, nowMs: number): UsernameCheck {
  const check = checkTurnUsername(username, nowMs)
  if (!check.ok) return check
  const expected = Buffer.from(turnPassword(secret, username))
  const given = Buffer.from(password)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'malformed' }
  return check
}
