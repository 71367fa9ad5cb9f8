import type { AuthUser } from '../../core/access.js'
import type { ChangeFeed } from '../../core/db/change-feed.js'
import type { Queryable } from '../../core/db/db.js'
import { PENDING_CONSENT_SQL } from './consent.js'

export interface SessionCheck {
  live: boolean
  /** The first consent document kind the user still has to accept, or null. */
  pendingConsent: string | null
}

// Built once: the text is also the prepared statement's identity.
const SESSION_CHECK_SQL = `SELECT s.last_used_at < now() - interval '60 seconds' AS stale,
                (extract(epoch FROM s.expires_at) * 1000)::float8 AS expires_ms,
                (${PENDING_CONSENT_SQL.replaceAll('$1', '$4')}) AS pending_consent
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
            AND s.last_used_at > now() - make_interval(secs => $3)
            AND u.disabled_at IS NULL AND u.role = $4`

export interface SessionGate {
  check (user: AuthUser): Promise<SessionCheck>
  /** A live answer this process may still reuse, without a promise; null: call check(). */
  cached (user: AuthUser): SessionCheck | null
}

export interface SessionGateOptions {
  idleSeconds: number
  /** How long a live check may be reused in this process; 0 asks the database every time. */
  cacheMs: number
  /** Word of revocations, role and account changes and consent, from every process (migration 0500). */
  changes: ChangeFeed
  now?: () => number
}

interface Cached { userId: string; role: string; check: SessionCheck; until: number }

/**
 * Checked on every authenticated request, so logout, "sign out that device",
 * lockout, role changes and idle timeout take effect within one request, not at
 * token expiry. Session and consent are one round trip; last_used_at is
 * written at most once a minute per session to keep reads cheap.
 *
 * A live result is reused for up to cacheMs. That keeps the guarantee because
 * the database announces every change the answer depends on (whoever makes
 * it) and this process drops the user's entries when it hears one; a change
 * made by this process is heard before its own response is sent. While the
 * change feed is down nothing is reused. What the cache can delay is only what
 * no one announces: an idle timeout passing, by at most cacheMs.
 */
export function createSessionGate (db: Queryable, o: SessionGateOptions): SessionGate {
  const now = o.now ?? Date.now
  const cache = new Map<string, Cached>()
  // Session ids by user, so a change to one user costs their entries, not a scan.
  const byUser = new Map<string, Set<string>>()
  const MAX_ENTRIES = 50_000
  const forget = (sessionId: string): void => {
    const c = cache.get(sessionId)
    if (!c) return
    cache.delete(sessionId)
    const sessions = byUser.get(c.userId)
    sessions?.delete(sessionId)
    if (sessions?.size === 0) byUser.delete(c.userId)
  }
  // Bumped by every change: a check that was in flight when one arrived is not cached.
  let epoch = 0

  o.changes.onChange((topic, id) => {
    if (topic !== 'auth' && topic !== '*') return
    epoch++
    if (id === '*') { cache.clear(); byUser.clear(); return }
    for (const sid of [...byUser.get(id) ?? []]) forget(sid)
  })

  async function query (user: AuthUser): Promise<{ check: SessionCheck; expiresMs: number }> {
    const { rows } = await db.query<{ stale: boolean; expires_ms: number; pending_consent: string | null }>(SESSION_CHECK_SQL,
      [user.sessionId, user.id, o.idleSeconds, user.role])
    if (rows.length === 0) return { check: { live: false, pendingConsent: null }, expiresMs: 0 }
    if (rows[0].stale) await db.query('UPDATE sessions SET last_used_at = now() WHERE id = $1', [user.sessionId])
    return { check: { live: true, pendingConsent: rows[0].pending_consent }, expiresMs: rows[0].expires_ms }
  }

  const cached = (user: AuthUser): SessionCheck | null => {
    if (o.cacheMs <= 0 || !o.changes.live) return null
    const hit = cache.get(user.sessionId)
    return hit !== undefined && hit.until > now() && hit.userId === user.id && hit.role === user.role ? hit.check : null
  }

  return {
    cached,
    async check (user) {
      const hit = cached(user)
      if (hit) return hit
      if (o.cacheMs <= 0 || !o.changes.live) return (await query(user)).check
      const t = now()
      const started = epoch
      const { check, expiresMs } = await query(user)
      // Only live answers are kept: a refusal is always the database's word of this moment.
      forget(user.sessionId)
      if (check.live && started === epoch && o.changes.live) {
        if (cache.size >= MAX_ENTRIES) forget(cache.keys().next().value as string)
        cache.set(user.sessionId, { userId: user.id, role: user.role, check, until: Math.min(t + o.cacheMs, expiresMs) })
        const sessions = byUser.get(user.id) ?? new Set<string>()
        byUser.set(user.id, sessions.add(user.sessionId))
      }
      return check
    }
  }
}
