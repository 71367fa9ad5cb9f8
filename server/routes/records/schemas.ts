import { Type } from '@sinclair/typebox'

export const PatientParams = Type.Object({ patientId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })
export const ProviderParams = Type.Object({ providerId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })

/** Why a provider or staff member opens a record (HIPAA's treatment, payment, operations). */
export const PurposeQuery = Type.Object({
  purpose: Type.Optional(Type.Union([Type.Literal('treatment'), Type.Literal('payment'), Type.Literal('operations')]))
}, { additionalProperties: false })

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(), error: Type.String(), message: Type.String(), code: Type.Optional(Type.String())
})

export const CLINICAL_ROLES = ['provider', 'staff'] as const
