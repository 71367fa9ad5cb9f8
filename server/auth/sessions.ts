import type { Queryable } from '../../core/db/db.js'
import type { Role } from '../../core/roles.js'
import type { AccessTokens } from './access-token.js'
import { hashToken, newToken } from './secrets.js'

export interface SessionSettings { idleSeconds: number; maxLifetimeSeconds: number; accessTtlSeconds: number }

export interface IssuedTokens {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
  sessionId: string
  mfa: boolean
}

export type RefreshOutcome =
  | { kind: 'ok'; tokens: IssuedTokens; userId: string; role: Role }
  /** A superseded token came back: someone holds a copy. The family is revoked. */
  | { kind: 'reused'; sessionId: string; userId: string; role: Role }
  | { kind: 'expired'; sessionId: string; userId: string; role: Role; reason: 'idle' | 'lifetime' }
  | { kind: 'invalid' }

export interface SessionRow {
  id: string; user_agent: string | null; ip: string | null; mfa: boolean
  created_at: Date; last_used_at: Date; expires_at: Date
}

/**
 * A session is one signed-in device and one refresh-token family: the
 * refresh token rotates on every use, and the superseded ones are kept
 * (hashed) in refresh_history so a replay is recognised as theft.
 */
export function createSessions (db: Queryable & { transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T> },
  tokens: AccessTokens, s: SessionSettings) {
  const issue = async (userId: string, role: Role, sessionId: string, mfa: boolean, refreshToken: string): Promise<IssuedTokens> => ({
    accessToken: await tokens.sign({ sub: userId, role, sid: sessionId, mfa }),
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: s.accessTtlSeconds,
    sessionId,
    mfa
  })

  return {
    async create (tx: Queryable, u: { id: string; role: Role }, mfa: boolean, client: { userAgent?: string; ip: string }): Promise<IssuedTokens> {
      const refresh = newToken()
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO sessions (user_id, refresh_hash, mfa, user_agent, ip, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING id`,
        [u.id, hashToken(refresh), mfa, client.userAgent?.slice(0, 256) ?? null, client.ip, s.maxLifetimeSeconds])
      return issue(u.id, u.role, rows[0].id, mfa, refresh)
    },

    async refresh (refreshToken: string): Promise<RefreshOutcome> {
      const hash = hashToken(refreshToken)
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string; user_id: string; role: Role; mfa: boolean; revoked: boolean; idle: boolean; over: boolean }>(
          `SELECT s.id, s.user_id, u.role, s.mfa, s.revoked_at IS NOT NULL AS revoked,
                  s.last_used_at <= now() - make_interval(secs => $2) AS idle, s.expires_at <= now() AS over
             FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.refresh_hash = $1 AND u.disabled_at IS NULL FOR UPDATE OF s`, [hash, s.idleSeconds])
        const cur = rows[0]
        if (cur) {
          if (cur.revoked) return { kind: 'invalid' }
          if (cur.idle || cur.over) {
            const reason = cur.over ? 'lifetime' : 'idle'
            await tx.query('UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1', [cur.id, reason])
            return { kind: 'expired', sessionId: cur.id, userId: cur.user_id, role: cur.role, reason }
          }
          const next = newToken()
          await tx.query('INSERT INTO refresh_history (refresh_hash, session_id) VALUES ($1, $2)', [hash, cur.id])
          await tx.query(
            'UPDATE sessions SET refresh_hash = $2, generation = generation + 1, last_used_at = now() WHERE id = $1',
            [cur.id, hashToken(next)])
          return { kind: 'ok', tokens: await issue(cur.user_id, cur.role, cur.id, cur.mfa, next), userId: cur.user_id, role: cur.role }
        }
        const old = await tx.query<{ id: string; user_id: string; role: Role; revoked: boolean }>(
          `SELECT s.id, s.user_id, u.role, s.revoked_at IS NOT NULL AS revoked
             FROM refresh_history h JOIN sessions s ON s.id = h.session_id JOIN users u ON u.id = s.user_id
            WHERE h.refresh_hash = $1 FOR UPDATE OF s`, [hash])
        const fam = old.rows[0]
        if (!fam) return { kind: 'invalid' }
        await tx.query(
          `UPDATE sessions SET revoked_at = coalesce(revoked_at, now()), revoked_reason = coalesce(revoked_reason, 'refresh-reuse') WHERE id = $1`,
          [fam.id])
        return { kind: 'reused', sessionId: fam.id, userId: fam.user_id, role: fam.role }
      })
    },

    /** Revokes one of the user's own sessions; false when it is not theirs or already ended. */
    async revoke (q: Queryable, userId: string, sessionId: string, reason: string): Promise<boolean> {
      const r = await q.query('UPDATE sessions SET revoked_at = now(), revoked_reason = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
        [sessionId, userId, reason])
      return r.rowCount > 0
    },

    async revokeAll (q: Queryable, userId: string, reason: string, exceptSessionId?: string): Promise<number> {
      const r = await q.query(
        'UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $3',
        [userId, reason, exceptSessionId ?? null])
      return r.rowCount
    },

    async listLive (userId: string): Promise<SessionRow[]> {
      const { rows } = await db.query<SessionRow>(
        `SELECT id, user_agent, ip, mfa, created_at, last_used_at, expires_at FROM sessions
          WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
            AND last_used_at > now() - make_interval(secs => $2)
          ORDER BY last_used_at DESC`, [userId, s.idleSeconds])
      return rows
    },

    /** After MFA is confirmed mid-session the device is upgraded, not signed in again. */
    async markMfa (q: Queryable, userId: string, sessionId: string, role: Role): Promise<string> {
      await q.query('UPDATE sessions SET mfa = true WHERE id = $1 AND user_id = $2', [sessionId, userId])
      return tokens.sign({ sub: userId, role, sid: sessionId, mfa: true })
    }
  }
}

export type Sessions = ReturnType<typeof createSessions>
