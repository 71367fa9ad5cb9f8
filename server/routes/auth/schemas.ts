import { Type, type Static } from '@sinclair/typebox'

const strict = { additionalProperties: false } as const

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 })
// Long enough for any passphrase we accept; the policy gives the precise message, this only bounds argon2's work.
export const Password = Type.String({ minLength: 1, maxLength: 1024 })
export const OpaqueToken = Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })
export const TotpCode = Type.String({ pattern: '^[0-9]{6}$' })
export const RecoveryCode = Type.String({ pattern: '^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$' })
export const Uuid = Type.String({ format: 'uuid' })
// Spelled out (not mapped from the constant lists) so the derived types keep their literals.
export const ConsentKindSchema = Type.Union([Type.Literal('terms'), Type.Literal('privacy'), Type.Literal('telehealth-consent')])
export const RoleSchema = Type.Union([Type.Literal('patient'), Type.Literal('provider'), Type.Literal('staff'), Type.Literal('admin')])
export const StaffRole = Type.Union([Type.Literal('provider'), Type.Literal('staff'), Type.Literal('admin')])

/** No route of ours reads a query string: anything there is refused, not ignored. */
export const NoQuery = Type.Object({}, strict)
/** For POSTs that carry no data; clients send {}. */
export const Empty = Type.Object({}, strict)

export const Credentials = Type.Object({ email: Email, password: Password }, strict)
export const EmailOnly = Type.Object({ email: Email }, strict)
export const TokenOnly = Type.Object({ token: OpaqueToken }, strict)
export const AcceptInvitation = Type.Object({ token: OpaqueToken, password: Password }, strict)
export const SecondFactor = Type.Union([
  Type.Object({ challenge: OpaqueToken, code: TotpCode }, strict),
  Type.Object({ challenge: OpaqueToken, recoveryCode: RecoveryCode }, strict)
])
export const RefreshBody = Type.Object({ refreshToken: OpaqueToken }, strict)
export const CodeOnly = Type.Object({ code: TotpCode }, strict)
export const DisableMfa = Type.Object({ password: Password, code: TotpCode }, strict)
export const ChangePassword = Type.Object({ currentPassword: Password, newPassword: Password }, strict)
export const IdParams = Type.Object({ id: Uuid }, strict)
export const Invite = Type.Object({ email: Email, role: StaffRole }, strict)
export const RoleChange = Type.Object({ role: RoleSchema }, strict)
export const KindParams = Type.Object({ kind: ConsentKindSchema }, strict)
export const Publish = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ minLength: 1, maxLength: 60_000 }),
  roles: Type.Optional(Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true }))
}, strict)
export const AcceptConsent = Type.Object({ kind: ConsentKindSchema, version: Type.Integer({ minimum: 1 }) }, strict)

export const Accepted = Type.Object({ status: Type.String() })
export const Tokens = Type.Object({
  status: Type.Literal('signed-in'),
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer(),
  sessionId: Type.String(),
  mfa: Type.Boolean(),
  /** provider/staff/admin without MFA yet: only enrolment routes will answer. */
  mfaEnrolmentRequired: Type.Boolean()
})
export const MfaChallenge = Type.Object({ status: Type.Literal('mfa-required'), challenge: Type.String(), expiresIn: Type.Integer() })
export const SignInResult = Type.Union([Tokens, MfaChallenge])
export const Enrolment = Type.Object({ otpauthUri: Type.String(), qrDataUrl: Type.String() })
export const Confirmed = Type.Object({ recoveryCodes: Type.Array(Type.String()), accessToken: Type.String(), expiresIn: Type.Integer() })
export const RecoveryCodes = Type.Object({ recoveryCodes: Type.Array(Type.String()) })
export const Me = Type.Object({
  id: Type.String(), role: RoleSchema, emailVerified: Type.Boolean(), mfaEnabled: Type.Boolean(),
  recoveryCodesLeft: Type.Integer(), sessionMfa: Type.Boolean()
})
export const SessionList = Type.Object({
  sessions: Type.Array(Type.Object({
    id: Type.String(), userAgent: Type.Union([Type.String(), Type.Null()]), ip: Type.Union([Type.String(), Type.Null()]),
    mfa: Type.Boolean(), createdAt: Type.String({ format: 'date-time' }), lastUsedAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }), current: Type.Boolean()
  }))
})
export const InvitationCreated = Type.Object({ userId: Type.String(), role: StaffRole, expiresAt: Type.String({ format: 'date-time' }) })
export const UserRole = Type.Object({ id: Type.String(), role: RoleSchema })
export const ConsentDocuments = Type.Object({
  documents: Type.Array(Type.Object({
    kind: ConsentKindSchema, version: Type.Integer(), title: Type.String(), body: Type.String(),
    publishedAt: Type.String({ format: 'date-time' }), accepted: Type.Boolean()
  }))
})
export const Published = Type.Object({ kind: ConsentKindSchema, version: Type.Integer() })

export type SecondFactorBody = Static<typeof SecondFactor>
