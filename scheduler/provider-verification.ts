import type { Queryable } from '../core/db/db.js'

/** Whether a provider may be shown in slot search and booked. */
export type ProviderVerifiedCheck = (providerId: string) => Promise<boolean>

/**
 * Interim check until the PHI records work exposes `isProviderVerified`: the
 * account must be an enabled provider, and when a `provider_verifications`
 * table exists, it must hold a verified, unrevoked row for them. A table
 * whose shape differs from the one assumed here fails closed (not bookable),
 * so a half-landed migration can never make an unverified provider bookable.
 * Replace by passing `isProviderVerified` to the scheduler plugin.
 */
export function providerVerificationHook (q: Queryable): ProviderVerifiedCheck {
  return async (providerId) => {
    const { rows } = await q.query<{ ok: boolean; has_table: boolean }>(
      `SELECT (role = 'provider' AND disabled_at IS NULL) AS ok, to_regclass('provider_verifications') IS NOT NULL AS has_table
         FROM users WHERE id = $1`, [providerId])
    if (rows.length === 0 || !rows[0].ok) return false
    if (!rows[0].has_table) return true
    try {
      const v = await q.query(
        `SELECT 1 FROM provider_verifications
          WHERE provider_id = $1 AND verified_at IS NOT NULL AND revoked_at IS NULL LIMIT 1`, [providerId])
      return v.rowCount > 0
    } catch {
      return false
    }
  }
}
