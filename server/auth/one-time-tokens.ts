import type { Queryable } from '../../core/db/db.js'
import { hashToken, newToken } from './secrets.js'

export type OneTimeKind = 'invitation' | 'verification' | 'password-reset'

/** Issues a single-use token for a user; earlier unused ones of the same kind stop working. */
export async function issueOneTimeToken (tx: Queryable, kind: OneTimeKind, userId: string, ttlSeconds: number, createdBy: string | null): Promise<string> {
  await tx.query('UPDATE auth_tokens SET used_at = now() WHERE user_id = $1 AND kind = $2 AND used_at IS NULL', [userId, kind])
  const token = newToken()
  await tx.query(
    `INSERT INTO auth_tokens (token_hash, kind, user_id, created_by, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
    [hashToken(token), kind, userId, createdBy, ttlSeconds])
  return token
}

/**
 * Uses the token up and returns its user, or null when it is unknown,
 * used or expired. The UPDATE … WHERE used_at IS NULL makes it single-use
 * even when two requests race.
 */
export async function consumeOneTimeToken (tx: Queryable, kind: OneTimeKind, token: string): Promise<{ userId: string; createdBy: string | null } | null> {
  const { rows } = await tx.query<{ user_id: string; created_by: string | null }>(
    `UPDATE auth_tokens SET used_at = now() WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now()
     RETURNING user_id, created_by`, [hashToken(token), kind])
  return rows[0] ? { userId: rows[0].user_id, createdBy: rows[0].created_by } : null
}
