import { appendAudit } from '../../core/audit/audit-log.js'
import type { Queryable } from '../../core/db/db.js'
import { accountKey } from './throttle.js'

/**
 * Counts a failed password or second factor. Returns true when this failure
 * locked the account (LOCKOUT_THRESHOLD in a row).
 */
export async function recordFailure (tx: Queryable, userId: string, threshold: number, lockSeconds: number): Promise<boolean> {
  const { rows } = await tx.query<{ locked_now: boolean }>(
    `UPDATE users SET failed_logins = failed_logins + 1,
            locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
      WHERE id = $1 RETURNING failed_logins = $2 AS locked_now`, [userId, threshold, lockSeconds])
  return rows[0]?.locked_now ?? false
}

export async function recordSuccess (tx: Queryable, userId: string): Promise<void> {
  await tx.query('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins > 0 OR locked_until IS NOT NULL)', [userId])
}

export interface UnlockActor { actorId: string | null; actorRole: string | null; requestId?: string | null; ip?: string | null; via: 'api' | 'cli' }

/**
 * Lifts a lockout and the account's sign-in delays, audited in the same
 * transaction. Shared by the admin route and `bedside unlock`.
 */
export async function unlockUser (tx: Queryable, userId: string, actor: UnlockActor): Promise<boolean> {
  const { rows } = await tx.query<{ email_index: Buffer; was_locked: boolean }>(
    `UPDATE users u SET failed_logins = 0, locked_until = NULL, updated_at = now()
       FROM (SELECT id, coalesce(locked_until > now(), false) AS was_locked FROM users WHERE id = $1 FOR UPDATE) old
      WHERE u.id = old.id RETURNING u.email_index, old.was_locked`, [userId])
  if (rows.length === 0) return false
  await tx.query('DELETE FROM auth_throttle WHERE key = $1', [accountKey(rows[0].email_index)])
  await appendAudit(tx, {
    action: 'auth.unlock', outcome: 'success', actorId: actor.actorId, actorRole: actor.actorRole,
    targetType: 'user', targetId: userId, requestId: actor.requestId ?? null, ip: actor.ip ?? null,
    details: { via: actor.via, wasLocked: rows[0].was_locked }
  })
  return true
}
