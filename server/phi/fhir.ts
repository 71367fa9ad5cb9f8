import type { AppointmentRow } from './care.js'
import type { PatientProfile } from './patient-schema.js'

type Json = Record<string, unknown>

const US_CORE_BIRTHSEX = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex'
const GENDER_IDENTITY = 'http://hl7.org/fhir/StructureDefinition/individual-genderIdentity'
const BIRTHSEX_CODE = { female: 'F', male: 'M', unknown: 'UNK' } as const

/** FHIR R4 Patient. Empty elements are left out: FHIR forbids empty arrays and objects. */
export function toFhirPatient (p: PatientProfile, system: string): Json {
  const telecom = [
    ...(p.phone ? [{ system: 'phone', value: p.phone, use: 'mobile' }] : []),
    ...(p.email ? [{ system: 'email', value: p.email }] : [])
  ]
  const extension = [
    ...(p.sexAtBirth ? [{ url: US_CORE_BIRTHSEX, valueCode: BIRTHSEX_CODE[p.sexAtBirth as keyof typeof BIRTHSEX_CODE] }] : []),
    ...(p.genderIdentity ? [{ url: GENDER_IDENTITY, extension: [{ url: 'value', valueCodeableConcept: { text: p.genderIdentity } }] }] : [])
  ]
  const c = p.emergencyContact
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: { lastUpdated: p.updatedAt, versionId: String(p.version) },
    ...(extension.length ? { extension } : {}),
    identifier: [{ use: 'usual', system, value: p.id }],
    active: true,
    name: [
      { use: 'official', family: p.legalName.family, given: p.legalName.given },
      ...(p.preferredName ? [{ use: 'usual', text: p.preferredName, given: [p.preferredName] }] : [])
    ],
    ...(telecom.length ? { telecom } : {}),
    gender: p.gender ?? 'unknown',
    birthDate: p.birthDate,
    ...(p.address
      ? {
          address: [{
            use: 'home',
            line: p.address.line,
            city: p.address.city,
            ...(p.address.state ? { state: p.address.state } : {}),
            ...(p.address.postalCode ? { postalCode: p.address.postalCode } : {}),
            ...(p.address.country ? { country: p.address.country } : {})
          }]
        }
      : {}),
    ...(c
      ? {
          contact: [{
            relationship: [{
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' }],
              ...(c.relationship ? { text: c.relationship } : {})
            }],
            name: { text: c.name },
            telecom: [{ system: 'phone', value: c.phone }]
          }]
        }
      : {}),
    ...(p.preferredLanguage
      ? { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: p.preferredLanguage }] }, preferred: true }] }
      : {})
  }
}

/** FHIR R4 Appointment: our statuses are already FHIR appointment statuses. */
export function toFhirAppointment (a: AppointmentRow, patientId: string, providerName?: string): Json {
  return {
    resourceType: 'Appointment',
    id: a.id,
    status: a.status,
    start: a.starts_at.toISOString(),
    end: a.ends_at.toISOString(),
    participant: [
      { actor: { reference: `Patient/${patientId}` }, status: 'accepted' },
      { actor: { reference: `Practitioner/${a.provider_id}`, ...(providerName ? { display: providerName } : {}) }, status: 'accepted' }
    ]
  }
}

export function fhirBundle (resources: Json[]): Json {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: new Date().toISOString(),
    entry: resources.map((r) => ({ fullUrl: `urn:uuid:${String(r.id)}`, resource: r }))
  }
}
