import { Type, type Static } from '@sinclair/typebox'

export const ROLES = ['patient', 'provider', 'staff', 'admin'] as const
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)))
export type Role = Static<typeof RoleSchema>

/** Roles that handle other people's PHI and so must use MFA before reaching it. */
export const MFA_REQUIRED_ROLES: readonly Role[] = ['provider', 'staff', 'admin']
