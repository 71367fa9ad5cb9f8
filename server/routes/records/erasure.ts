import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import { BadRequest, NotFound } from '../../../core/errors.js'
import { activeGrant } from '../../phi/access.js'
import { notifyAdmins } from '../../phi/alerts.js'
import { lastCareAt } from '../../phi/care.js'
import { erasePatient } from '../../phi/erase.js'
import { RecordErased, RetentionHold } from '../../phi/errors.js'
import { patientExists } from '../../phi/patients.js'
import { ShreddedSubjectError } from '../../../core/crypto/vault.js'
import { CLINICAL_ROLES, ErrorBody, PatientParams } from './schemas.js'

/** Break-glass access and crypto-shredding: the two ways around the everyday rules, both loudly audited. */
export default async function erasureRoutes (f: FastifyInstance) {
  f.post('/records/patients/:patientId/break-glass', {
    config: { access: { roles: CLINICAL_ROLES } },
    schema: {
      tags: ['Records'],
      summary: 'Open a record outside your care relationships, for a stated reason (audited, admins alerted)',
      params: PatientParams,
      body: Type.Object({ reason: Type.String({ minLength: 20, maxLength: 1000 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ grantId: Type.String(), expiresAt: Type.String() }), 403: ErrorBody, 404: ErrorBody, 410: ErrorBody }
    }
  }, async (req, reply) => {
    const { patientId } = req.params as { patientId: string }
    const { reason } = req.body as { reason: string }
    if (!(await patientExists(f.db, patientId))) throw new NotFound('Patient')
    const existing = await activeGrant(f, req.user!.id, patientId)
    const minutes = f.config.phi.breakGlassMinutes
    const grant = await f.db.transaction(async (tx) => {
      const id = randomUUID()
      let sealed
      try {
        sealed = await f.phiVault.seal(patientId, reason, { table: 'break_glass_grants', column: 'reason', row: id }, tx)
      } catch (err) {
        if (err instanceof ShreddedSubjectError) throw new RecordErased()
        throw err
      }
      const { rows } = await tx.query<{ expires_at: Date }>(
        `INSERT INTO break_glass_grants (id, actor_id, patient_id, reason_sealed, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5)) RETURNING expires_at`, [id, req.user!.id, patientId, sealed, minutes])
      // The reason is PHI-grade text: the audit names the grant, the reason stays sealed with the patient's key.
      await req.audit({ action: 'phi.break_glass', outcome: 'alert', targetType: 'patient', targetId: patientId,
        details: { grantId: id, minutes, reasonLength: reason.length, renewed: existing !== null } }, tx)
      await notifyAdmins(tx, f.phi, 'phi-break-glass', { actorId: req.user!.id, patientId, grantId: id }, `phi-break-glass:${id}`)
      return { grantId: id, expiresAt: rows[0].expires_at.toISOString() }
    })
    return reply.code(201).send(grant)
  })

  f.post('/records/patients/:patientId/erase', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['Records'],
      summary: 'Erase a patient by destroying their data key (crypto-shredding), when retention rules allow',
      params: PatientParams,
      body: Type.Object({
        confirmPatientId: Type.String({ format: 'uuid', description: 'the same id again, against slips' }),
        basis: Type.Union([Type.Literal('patient-request'), Type.Literal('retention-expired'), Type.Literal('legal-order')])
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ patientId: Type.String(), erased: Type.Literal(true), keyDestroyed: Type.Boolean() }), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody }
    }
  }, async (req) => {
    const { patientId } = req.params as { patientId: string }
    const { confirmPatientId, basis } = req.body as { confirmPatientId: string; basis: string }
    if (confirmPatientId !== patientId) throw new BadRequest('confirmPatientId does not match the patient in the URL')
    if (!(await patientExists(f.db, patientId))) throw new NotFound('Patient')
    const last = await lastCareAt(f.db, patientId)
    if (last) {
      const until = new Date(last.getTime() + f.config.phi.retentionDays * 86_400_000)
      if (until.getTime() > Date.now()) {
        await req.audit({ action: 'phi.erase', outcome: 'denied', targetType: 'patient', targetId: patientId, details: { basis, reason: 'retention', until: until.toISOString() } })
        throw new RetentionHold(until.toISOString().slice(0, 10))
      }
    }
    const keyDestroyed = await f.db.transaction(async (tx) => {
      const destroyed = await erasePatient(f.phiVault, tx, patientId, req.user!.id)
      await req.audit({ action: 'phi.erase', outcome: 'success', targetType: 'patient', targetId: patientId, details: { basis, keyDestroyed: destroyed } }, tx)
      return destroyed
    })
    return { patientId, erased: true as const, keyDestroyed }
  })
}
