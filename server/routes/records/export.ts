import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { NotFound } from '../../../core/errors.js'
import { auditPatientAccess, recordFailure } from '../../phi/access.js'
import { appointmentsOf } from '../../phi/care.js'
import { fhirBundle, toFhirAppointment, toFhirPatient } from '../../phi/fhir.js'
import { PATIENT_FIELDS } from '../../phi/patient-schema.js'
import { readPatientProfile } from '../../phi/patients.js'
import { readProviderProfile } from '../../phi/providers.js'
import { ErrorBody } from './schemas.js'

const FhirResource = Type.Object({ resourceType: Type.String() }, { additionalProperties: true })

/** A patient's own record to take away: FHIR R4 Patient plus their appointments, as a Bundle. */
export default async function exportRoutes (f: FastifyInstance) {
  f.get('/records/patients/me/export', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags: ['Records'],
      summary: 'Download your record (FHIR R4 Bundle: Patient and Appointments)',
      response: {
        200: Type.Object({
          resourceType: Type.Literal('Bundle'),
          type: Type.Literal('collection'),
          timestamp: Type.String(),
          entry: Type.Array(Type.Object({ fullUrl: Type.String(), resource: FhirResource }))
        }),
        404: ErrorBody, 410: ErrorBody, 422: ErrorBody
      }
    }
  }, async (req, reply) => {
    const id = req.user!.id
    let profile
    try {
      profile = await readPatientProfile(f.phiVault, f.db, id)
    } catch (err) {
      throw await recordFailure(f, req, id, err)
    }
    if (!profile) throw new NotFound('Patient profile')
    const appointments = await appointmentsOf(f.db, id)
    const names = new Map<string, string | undefined>()
    for (const pid of new Set(appointments.map((a) => a.provider_id))) {
      // A provider's name is theirs, not the patient's; one that cannot be read is simply not shown.
      const p = await readProviderProfile(f.phiVault, f.db, pid).catch(() => null)
      names.set(pid, p ? [...p.name.given, p.name.family].join(' ') : undefined)
    }
    const bundle = fhirBundle([
      toFhirPatient(profile, `${f.config.server.publicUrl}/fhir/patient-id`),
      ...appointments.map((a) => toFhirAppointment(a, id, names.get(a.provider_id)))
    ])
    await auditPatientAccess(f, req, id, { via: 'self', purpose: 'patient-request' },
      [...PATIENT_FIELDS.filter((k) => profile[k] !== undefined), 'appointments'], 'phi.export')
    return reply
      .header('content-type', 'application/fhir+json; charset=utf-8')
      .header('content-disposition', 'attachment; filename="bedside-record.json"')
      .header('cache-control', 'no-store')
      .send(bundle)
  })
}
