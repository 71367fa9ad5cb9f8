import { Type, type Static } from '@sinclair/typebox'

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max })
export const Phone = Type.String({ minLength: 5, maxLength: 30, pattern: '^\\+?[0-9][0-9 ().-]{3,28}[0-9]$' })
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' })

export const HumanName = Type.Object({
  family: Text(100),
  given: Type.Array(Text(100), { minItems: 1, maxItems: 5 })
}, { additionalProperties: false })

export const Address = Type.Object({
  line: Type.Array(Text(200), { minItems: 1, maxItems: 4 }),
  city: Text(100),
  state: Type.Optional(Text(100)),
  postalCode: Type.Optional(Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9 -]+$' })),
  country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }))
}, { additionalProperties: false })

export const EmergencyContact = Type.Object({
  name: Text(200),
  relationship: Type.Optional(Text(100)),
  phone: Phone
}, { additionalProperties: false })

/** FHIR R4 AdministrativeGender. */
export const Gender = Type.Union(['male', 'female', 'other', 'unknown'].map((g) => Type.Literal(g)))
/** US Core birth sex (F, M, UNK), spelled out. */
export const SexAtBirth = Type.Union(['female', 'male', 'unknown'].map((g) => Type.Literal(g)))

export const PatientProfileInput = Type.Object({
  legalName: HumanName,
  preferredName: Type.Optional(Text(100)),
  birthDate: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD' }),
  gender: Type.Optional(Gender),
  genderIdentity: Type.Optional(Text(100)),
  sexAtBirth: Type.Optional(SexAtBirth),
  phone: Type.Optional(Phone),
  email: Type.Optional(Email),
  address: Type.Optional(Address),
  emergencyContact: Type.Optional(EmergencyContact),
  preferredLanguage: Type.Optional(Type.String({ pattern: '^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$', description: 'BCP-47 tag' }))
}, { additionalProperties: false })
export type PatientProfileInput = Static<typeof PatientProfileInput>

export const PatientProfile = Type.Object({
  id: Type.String({ format: 'uuid' }),
  version: Type.Integer(),
  updatedAt: Type.String(),
  ...PatientProfileInput.properties
}, { additionalProperties: false })
export type PatientProfile = Static<typeof PatientProfile>

export type PatientField = keyof PatientProfileInput

/** Profile field -> column prefix (the column is <prefix>_sealed, its seal context column is <prefix>). */
export const PATIENT_COLUMNS: Record<PatientField, string> = {
  legalName: 'legal_name',
  preferredName: 'preferred_name',
  birthDate: 'birth_date',
  gender: 'gender',
  genderIdentity: 'gender_identity',
  sexAtBirth: 'sex_at_birth',
  phone: 'phone',
  email: 'email',
  address: 'address',
  emergencyContact: 'emergency_contact',
  preferredLanguage: 'language'
}
export const PATIENT_FIELDS = Object.keys(PATIENT_COLUMNS) as PatientField[]
