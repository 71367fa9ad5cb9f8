import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { BadRequest, NotFound } from '../../../core/errors.js'
import { auditPatientAccess, authorisePatient, recordFailure } from '../../phi/access.js'
import { patientsInCare } from '../../phi/care.js'
import { ProviderNotVerified } from '../../phi/errors.js'
import { isProviderVerified } from '../../phi/providers.js'
import { Email, Phone, PatientProfile, PatientProfileInput, PATIENT_FIELDS, type PatientProfileInput as Input } from '../../phi/patient-schema.js'
import { findPatients, patientExists, readPatientProfile, savePatientProfile } from '../../phi/patients.js'
import { CLINICAL_ROLES, ErrorBody, PatientParams, PurposeQuery } from './schemas.js'

const present = (p: object) => PATIENT_FIELDS.filter((f) => (p as Record<string, unknown>)[f] !== undefined)
const errors = { 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 410: ErrorBody, 422: ErrorBody }

/** Patient profiles: the patient's own, and those of patients in a provider's or staff member's care. */
export default async function patientRoutes (f: FastifyInstance) {
  const read = async (req: Parameters<typeof recordFailure>[1], id: string) => {
    try {
      return await readPatientProfile(f.phiVault, f.db, id)
    } catch (err) {
      throw await recordFailure(f, req, id, err)
    }
  }
  const save = async (req: Parameters<typeof recordFailure>[1], id: string, body: Input, access: Parameters<typeof auditPatientAccess>[3]) => {
    try {
      const r = await f.db.transaction(async (tx) => {
        const saved = await savePatientProfile(f.phiVault, tx, id, body)
        await req.audit({ action: 'phi.change', outcome: 'success', targetType: 'patient', targetId: id,
          details: { fields: saved.fields, purpose: access.purpose, via: access.via, ...(access.grantId ? { breakGlassGrant: access.grantId } : {}) } }, tx)
        return saved
      })
      return r
    } catch (err) {
      throw await recordFailure(f, req, id, err)
    }
  }

  f.get('/records/patients/me', {
    config: { access: { roles: ['patient'] } },
    schema: { tags: ['Records'], summary: 'Your own profile', response: { 200: PatientProfile, ...errors } }
  }, async (req) => {
    const profile = await read(req, req.user!.id)
    if (!profile) throw new NotFound('Patient profile')
    await auditPatientAccess(f, req, profile.id, { via: 'self', purpose: 'patient-request' }, present(profile))
    return profile
  })

  f.put('/records/patients/me', {
    config: { access: { roles: ['patient'] } },
    schema: { tags: ['Records'], summary: 'Write your own profile', body: PatientProfileInput, response: { 200: PatientProfile, ...errors } }
  }, async (req) => {
    const id = req.user!.id
    // The answer is what was written: no need to decrypt it again.
    const saved = await save(req, id, req.body as Input, { via: 'self', purpose: 'patient-request' })
    return { id, version: saved.version, updatedAt: saved.updatedAt, ...(req.body as Input) }
  })

  f.get('/records/patients/:patientId', {
    config: { access: { roles: CLINICAL_ROLES } },
    schema: { tags: ['Records'], summary: 'A patient in your care', params: PatientParams, querystring: PurposeQuery, response: { 200: PatientProfile, ...errors } }
  }, async (req) => {
    const { patientId } = req.params as { patientId: string }
    const access = await authorisePatient(f, req, patientId, (req.query as { purpose?: 'treatment' }).purpose)
    const profile = await read(req, patientId)
    if (!profile) throw new NotFound('Patient profile')
    await auditPatientAccess(f, req, patientId, access, present(profile))
    return profile
  })

  f.put('/records/patients/:patientId', {
    config: { access: { roles: CLINICAL_ROLES } },
    schema: { tags: ['Records'], summary: 'Update the profile of a patient in your care', params: PatientParams, body: PatientProfileInput, response: { 200: PatientProfile, ...errors } }
  }, async (req) => {
    const { patientId } = req.params as { patientId: string }
    const access = await authorisePatient(f, req, patientId)
    if (!(await patientExists(f.db, patientId))) throw new NotFound('Patient')
    const saved = await save(req, patientId, req.body as Input, access)
    return { id: patientId, version: saved.version, updatedAt: saved.updatedAt, ...(req.body as Input) }
  })

  // POST, not GET: a phone number or email must never sit in a URL (logs, proxies, history).
  f.post('/records/patients/search', {
    config: { access: { roles: CLINICAL_ROLES } },
    schema: {
      tags: ['Records'],
      summary: 'Exact match on phone or email among patients in your care',
      body: Type.Union([
        Type.Object({ phone: Phone }, { additionalProperties: false }),
        Type.Object({ email: Email }, { additionalProperties: false })
      ]),
      response: {
        200: Type.Object({
          results: Type.Array(Type.Object({ id: Type.String(), legalName: PatientProfileInput.properties.legalName, birthDate: Type.String() }))
        }),
        ...errors
      }
    }
  }, async (req) => {
    const body = req.body as { phone?: string; email?: string }
    if (body.phone === undefined && body.email === undefined) throw new BadRequest('Give a phone or an email')
    if (req.user!.role === 'provider' && !(await isProviderVerified(f.db, req.user!.id))) throw new ProviderNotVerified()
    const found = await findPatients(f.phiVault, f.db, body)
    const allowed = await patientsInCare(f.db, req.user!, found)
    const results = []
    for (const id of found.filter((x) => allowed.has(x))) {
      let p
      try {
        p = await readPatientProfile(f.phiVault, f.db, id)
      } catch (err) {
        await recordFailure(f, req, id, err)
        continue // one bad record must not hide the others
      }
      if (!p) continue
      await auditPatientAccess(f, req, id, { via: 'care', purpose: 'treatment' }, ['legalName', 'birthDate'])
      results.push({ id, legalName: p.legalName, birthDate: p.birthDate })
    }
    await req.audit({ action: 'phi.search', outcome: 'success', details: { by: body.phone !== undefined ? 'phone' : 'email', matches: results.length } })
    return { results }
  })
}
