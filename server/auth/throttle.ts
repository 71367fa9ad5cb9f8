import type { Queryable } from '../../core/db/db.js'

export interface ThrottleSettings {
  /** Failures per account before delays start. */
  accountFree: number
  /** Failures per client IP before delays start. */
  ipFree: number
  maxDelaySeconds: number
  /** Quiet seconds after which a key's failures are forgotten. */
  windowSeconds: number
}

export interface Throttle {
  /** Seconds the caller must still wait before trying again (0: go ahead). */
  waitSeconds (keys: ThrottleKeys): Promise<number>
  fail (keys: ThrottleKeys, tx?: Queryable): Promise<void>
  /** A correct sign-in clears its account's count (not the IP's: one good login must not launder a stuffing run). */
  clearAccount (accountKey: string, tx?: Queryable): Promise<void>
  /** Forgets keys quiet for longer than the window (guessed addresses would otherwise pile up). */
  sweep (tx?: Queryable): Promise<void>
}

export interface ThrottleKeys { account: string; ip: string }

/** Key of an account, by email blind index: an unknown address throttles exactly like a known one. */
export const accountKey = (emailIndex: Buffer): string => `acct:${emailIndex.toString('hex')}`
export const ipKey = (ip: string): string => `ip:${ip}`

/**
 * Growing delays: after `free` failures each further attempt must wait
 * 1, 2, 4 … seconds (capped) from the last failure. Refusing early with 429
 * costs the server nothing, unlike sleeping. Counts live in the database so
 * every API process sees the same.
 */
export function createThrottle (db: Queryable, s: ThrottleSettings): Throttle {
  const delayAfter = (failures: number, free: number): number =>
    failures < free ? 0 : Math.min(s.maxDelaySeconds, 2 ** Math.min(failures - free, 30))
  return {
    async waitSeconds (keys) {
      const { rows } = await db.query<{ key: string; failures: number; since: number }>(
        `SELECT key, failures, extract(epoch FROM now() - last_failure_at)::float8 AS since
           FROM auth_throttle WHERE key = ANY($1) AND last_failure_at > now() - make_interval(secs => $2)`,
        [[keys.account, keys.ip], s.windowSeconds])
      let wait = 0
      for (const r of rows) {
        const free = r.key === keys.ip ? s.ipFree : s.accountFree
        wait = Math.max(wait, delayAfter(r.failures, free) - r.since)
      }
      return wait > 0 ? Math.ceil(wait) : 0
    },
    async fail (keys, tx) {
      await (tx ?? db).query(
        `INSERT INTO auth_throttle (key, failures) SELECT unnest($1::text[]), 1
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN auth_throttle.last_failure_at < now() - make_interval(secs => $2) THEN 1 ELSE auth_throttle.failures + 1 END,
           last_failure_at = now()`,
        [[keys.account, keys.ip], s.windowSeconds])
    },
    async clearAccount (key, tx) {
      await (tx ?? db).query('DELETE FROM auth_throttle WHERE key = $1', [key])
    },
    async sweep (tx) {
      await (tx ?? db).query('DELETE FROM auth_throttle WHERE last_failure_at < now() - make_interval(secs => $1)', [s.windowSeconds])
    }
  }
}
