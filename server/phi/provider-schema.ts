import { Type, type Static } from '@sinclair/typebox'
import { HumanName } from './patient-schema.js'

const Short = (max: number) => Type.String({ minLength: 1, maxLength: max })

export const ProviderProfileInput = Type.Object({
  name: HumanName,
  credentials: Type.Array(Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z.()-]+$' }), { maxItems: 10, description: 'e.g. MD, RN, PhD' }),
  specialties: Type.Array(Short(100), { maxItems: 10 }),
  npi: Type.Optional(Type.String({ pattern: '^\\d{10}$', description: 'US National Provider Identifier' })),
  licence: Type.Optional(Type.Object({
    number: Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9 /.-]+$' }),
    jurisdiction: Short(100)
  }, { additionalProperties: false }))
}, { additionalProperties: false })
export type ProviderProfileInput = Static<typeof ProviderProfileInput>

export const VerificationStatus = Type.Union(['unverified', 'verified', 'rejected', 'revoked'].map((s) => Type.Literal(s)))
export type VerificationStatus = 'unverified' | 'verified' | 'rejected' | 'revoked'

export const ProviderProfile = Type.Object({
  id: Type.String({ format: 'uuid' }),
  version: Type.Integer(),
  verification: VerificationStatus,
  verifiedAt: Type.Union([Type.String(), Type.Null()]),
  ...ProviderProfileInput.properties
}, { additionalProperties: false })
export type ProviderProfile = Static<typeof ProviderProfile>

/** What patients and colleagues see: no licence or NPI numbers. */
export const ProviderCard = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: HumanName,
  credentials: Type.Array(Type.String()),
  specialties: Type.Array(Type.String()),
  verified: Type.Boolean()
}, { additionalProperties: false })

export const CHECK_KINDS = ['identity-document', 'licence-board', 'npi-registry', 'board-certification', 'video-interview'] as const
export const VerificationInput = Type.Object({
  outcome: Type.Union([Type.Literal('verified'), Type.Literal('rejected'), Type.Literal('revoked')]),
  checks: Type.Array(Type.Object({
    kind: Type.Union(CHECK_KINDS.map((k) => Type.Literal(k))),
    result: Type.Union([Type.Literal('pass'), Type.Literal('fail')]),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9 #:/._-]+$', description: 'registry lookup id, document type; no document numbers' }))
  }, { additionalProperties: false }), { minItems: 1, maxItems: 10 }),
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 }))
}, { additionalProperties: false })
export type VerificationInput = Static<typeof VerificationInput>

export const VerificationRecord = Type.Object({
  id: Type.String(),
  outcome: Type.String(),
  checks: VerificationInput.properties.checks,
  note: Type.Optional(Type.String()),
  checkedBy: Type.String(),
  checkedAt: Type.String()
}, { additionalProperties: false })
