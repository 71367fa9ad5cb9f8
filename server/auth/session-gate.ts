import type { AuthUser } from '../../core/access.js'
import type { Queryable } from '../../core/db/db.js'
import { PENDING_CONSENT_SQL } from './consent.js'

export interface SessionCheck {
  live: boolean
  /** The first consent document kind the user still has to accept, or null. */
  pendingConsent: string | null
}

// Built once: the text is also the prepared statement's identity.
const SESSION_CHECK_SQL = `SELECT s.last_used_at < now() - interval '60 seconds' AS stale,
                (${PENDING_CONSENT_SQL.replaceAll('$1', '$4')}) AS pending_consent
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
            AND s.last_used_at > now() - make_interval(secs => $3)
            AND u.disabled_at IS NULL AND u.role = $4`

export interface SessionGate { check (user: AuthUser): Promise<SessionCheck> }

/**
 * Checked on every authenticated request, so logout, "sign out that device",
 * lockout, role changes and idle timeout take effect within one request, not at
 * token expiry. Session and consent are one round trip; last_used_at is
 * written at most once a minute per session to keep reads cheap.
 */
export function createSessionGate (db: Queryable, idleSeconds: number): SessionGate {
  return {
    async check (user) {
      const { rows } = await db.query<{ stale: boolean; pending_consent: string | null }>(SESSION_CHECK_SQL,
        [user.sessionId, user.id, idleSeconds, user.role])
      if (rows.length === 0) return { live: false, pendingConsent: null }
      if (rows[0].stale) await db.query('UPDATE sessions SET last_used_at = now() WHERE id = $1', [user.sessionId])
      return { live: true, pendingConsent: rows[0].pending_consent }
    }
  }
}
