import type { FastifyInstance, FastifyRequest } from 'fastify'
import { UndecryptableError } from '../../core/crypto/phi.js'
import { isErasure } from '../../core/crypto/vault.js'
import { Forbidden } from '../../core/errors.js'
import { checkUnusualAccess, notifyAdmins } from './alerts.js'
import { hasCareRelationship } from './care.js'
import { NoCareRelationship, ProviderNotVerified, RecordErased, RecordUndecryptable } from './errors.js'
import { ErasedRecordError } from './patients.js'
import { isProviderVerified } from './providers.js'

export type Purpose = 'treatment' | 'payment' | 'operations' | 'patient-request' | 'break-glass'
export interface PatientAccess { via: 'self' | 'care' | 'break-glass'; purpose: Purpose; grantId?: string }

/** The live break-glass grant of this actor for this patient, if any. */
export async function activeGrant (f: FastifyInstance, actorId: string, patientId: string): Promise<string | null> {
  const { rows } = await f.db.query<{ id: string }>(
    `SELECT id FROM break_glass_grants WHERE actor_id = $1 AND patient_id = $2 AND expires_at > now()
      ORDER BY expires_at DESC LIMIT 1`, [actorId, patientId])
  return rows[0]?.id ?? null
}

/**
 * May this user open this patient's record? The patient themself; a provider
 * (identity verified) or staff member with a care relationship; or one holding
 * a break-glass grant.
 * Anyone else is refused, and the refusal is audited.
 */
export async function authorisePatient (f: FastifyInstance, req: FastifyRequest, patientId: string, purpose?: Purpose): Promise<PatientAccess> {
  const user = req.user!
  if (user.role === 'patient') {
    if (user.id !== patientId) throw new Forbidden()
    return { via: 'self', purpose: 'patient-request' }
  }
  // A revoked provider keeps their past appointments but not the records behind them.
  if (user.role === 'provider' && !(await isProviderVerified(f.db, user.id))) {
    await req.audit({ action: 'phi.read', outcome: 'denied', targetType: 'patient', targetId: patientId, details: { reason: 'provider-not-verified' } })
    throw new ProviderNotVerified()
  }
  if (await hasCareRelationship(f.db, user, patientId)) return { via: 'care', purpose: purpose ?? 'treatment' }
  const grantId = await activeGrant(f, user.id, patientId)
  if (grantId) return { via: 'break-glass', purpose: 'break-glass', grantId }
  await req.audit({ action: 'phi.read', outcome: 'denied', targetType: 'patient', targetId: patientId, details: { reason: 'no-care-relationship' } })
  throw new NoCareRelationship()
}

/** Records a PHI read (which fields, why; never values) and checks the reader's pace. */
export async function auditPatientAccess (f: FastifyInstance, req: FastifyRequest, patientId: string, access: PatientAccess,
  fields: readonly string[], action: 'phi.read' | 'phi.export' | 'phi.change' = 'phi.read'): Promise<void> {
  await req.audit({
    action, outcome: 'success', targetType: 'patient', targetId: patientId,
    details: { fields: [...fields], purpose: access.purpose, via: access.via, ...(access.grantId ? { breakGlassGrant: access.grantId } : {}) }
  })
  if (access.via === 'self') return
  const { accessAlertThreshold: threshold, accessAlertWindow: windowSeconds } = f.config.phi
  await checkUnusualAccess(f.db, f.phi, req.user!.id, { threshold, windowSeconds }, (details) =>
    req.audit({ action: 'phi.unusual_access', outcome: 'alert', targetType: 'user', targetId: req.user!.id, details }))
}

/**
 * Turns a record-level failure into a clear 4xx for that record. A value that
 * does not decrypt is an integrity incident: audited as an alert and sent to admins.
 */
export async function recordFailure (f: FastifyInstance, req: FastifyRequest, patientId: string, err: unknown): Promise<Error> {
  if (err instanceof ErasedRecordError || isErasure(err)) return new RecordErased()
  if (err instanceof UndecryptableError) {
    const details = { table: err.context.table, column: err.context.column, reason: err.reason }
    await req.audit({ action: 'phi.undecryptable', outcome: 'alert', targetType: 'patient', targetId: patientId, details })
    await notifyAdmins(f.db, f.phi, 'phi-undecryptable', { patientId, table: err.context.table, column: err.context.column },
      `phi-undecryptable:${err.context.table}:${err.context.column}:${err.context.row}:${new Date().toISOString().slice(0, 13)}`)
    return new RecordUndecryptable(err.context.column)
  }
  return err as Error
}
