import type { Queryable } from '../core/db/db.js'

/** Whether a provider may be shown in slot search and booked. */
export type ProviderVerifiedCheck = (providerId: string) => Promise<boolean>

/**
 * INTERIM hook until the PHI records work's `isProviderVerified`
 * (server/phi/providers.ts) is passed in as the plugin's `isProviderVerified`
 * option. Same rule, read from the same committed schema (migration 0200):
 * an admin recorded a passed verification (provider_profiles.verification_status)
 * and the account is an active provider. Anything else is not bookable.
 */
export function providerVerificationHook (q: Queryable): ProviderVerifiedCheck {
  return async (providerId) => {
    const { rows } = await q.query(
      `SELECT 1 FROM provider_profiles p JOIN users u ON u.id = p.id
        WHERE p.id = $1 AND p.verification_status = 'verified' AND u.role = 'provider' AND u.disabled_at IS NULL`, [providerId])
    return rows.length > 0
  }
}
