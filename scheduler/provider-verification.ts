/**
 * Whether a provider may be shown in slot search and booked. The server passes
 * the records module's isProviderVerified (an admin recorded a passed identity
 * check and the account is an active provider); the scheduler only asks.
 */
export type ProviderVerifiedCheck = (providerId: string) => Promise<boolean>
