import type { Role } from './roles.js'

/**
 * What every route must declare in `config.access`. Routes that forget fail
 * at start-up (see server/plugins/access.ts), so nothing is open by accident.
 * - 'public': anyone, no token (health, sign-in, registration).
 * - { roles }: a signed-in user with one of these roles.
 *   `mfa: false` lets a provider/staff/admin through before MFA is set up
 *   (only for the MFA enrolment and account basics); `consent: false` skips
 *   the current-consent check (for reading and accepting the documents).
 */
export type Access = 'public' | { roles: readonly Role[]; mfa?: boolean; consent?: boolean }

export interface AuthUser { id: string; role: Role; sessionId: string; mfa: boolean }

declare module 'fastify' {
  interface FastifyContextConfig { access?: Access }
  interface FastifyRequest { user: AuthUser | null }
}

export const ANY_ROLE: readonly Role[] = ['patient', 'provider', 'staff', 'admin']
