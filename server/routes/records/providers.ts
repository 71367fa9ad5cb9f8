import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ANY_ROLE } from '../../../core/access.js'
import { UndecryptableError } from '../../../core/crypto/phi.js'
import { Conflict, NotFound, Unprocessable } from '../../../core/errors.js'
import { notifyAdmins } from '../../phi/alerts.js'
import { RecordUndecryptable } from '../../phi/errors.js'
import { ProviderCard, ProviderProfile, ProviderProfileInput, VerificationInput, VerificationRecord, VerificationStatus } from '../../phi/provider-schema.js'
import { npiTaken, readProviderProfile, recordVerification, saveProviderProfile, verificationHistory } from '../../phi/providers.js'
import { ErrorBody, ProviderParams } from './schemas.js'

type PInput = typeof ProviderProfileInput.static
type VInput = typeof VerificationInput.static

/** Provider profiles and the identity-verification workflow admins run before a provider may see patients. */
export default async function providerRoutes (f: FastifyInstance) {
  const read = async (req: FastifyRequest, id: string) => {
    try {
      return await readProviderProfile(f.phiVault, f.db, id)
    } catch (err) {
      if (!(err instanceof UndecryptableError)) throw err
      await req.audit({ action: 'phi.undecryptable', outcome: 'alert', targetType: 'provider', targetId: id, details: { table: err.context.table, column: err.context.column } })
      await notifyAdmins(f.db, f.phi, 'phi-undecryptable', { providerId: id, column: err.context.column }, `phi-undecryptable:provider:${id}:${new Date().toISOString().slice(0, 13)}`)
      throw new RecordUndecryptable(err.context.column)
    }
  }

  f.get('/records/providers/me', {
    config: { access: { roles: ['provider'] } },
    schema: { tags: ['Records'], summary: 'Your provider profile', response: { 200: ProviderProfile, 404: ErrorBody, 422: ErrorBody } }
  }, async (req) => {
    const p = await read(req, req.user!.id)
    if (!p) throw new NotFound('Provider profile')
    return p
  })

  f.put('/records/providers/me', {
    config: { access: { roles: ['provider'] } },
    schema: { tags: ['Records'], summary: 'Write your provider profile (changing name, NPI or licence needs verification again)', body: ProviderProfileInput, response: { 200: ProviderProfile, 409: ErrorBody } }
  }, async (req) => {
    const id = req.user!.id
    const body = req.body as PInput
    if (body.npi && await npiTaken(f.phiVault, f.db, body.npi, id)) throw new Conflict('This NPI is already on another provider\'s profile')
    await f.db.transaction(async (tx) => {
      const r = await saveProviderProfile(f.phiVault, tx, id, body)
      await req.audit({ action: 'provider.profile_change', outcome: 'success', targetType: 'provider', targetId: id,
        details: { fields: Object.keys(body), verificationReset: r.reset } }, tx)
    }).catch((err: { code?: string }) => {
      // Two providers claiming one NPI at the same moment: the unique blind index decides.
      throw err.code === '23505' ? new Conflict('This NPI is already on another provider\'s profile') : err
    })
    return (await read(req, id))!
  })

  f.get('/records/providers/:providerId', {
    config: { access: { roles: ANY_ROLE } },
    schema: { tags: ['Records'], summary: 'A provider\'s public card (patients see verified providers only)', params: ProviderParams, response: { 200: ProviderCard, 404: ErrorBody } }
  }, async (req) => {
    const { providerId } = req.params as { providerId: string }
    const p = await read(req, providerId)
    const verified = p?.verification === 'verified'
    if (!p || (!verified && req.user!.role === 'patient')) throw new NotFound('Provider')
    return { id: p.id, name: p.name, credentials: p.credentials, specialties: p.specialties, verified }
  })

  f.post('/records/providers/:providerId/verification', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['Records'],
      summary: 'Record an identity verification (what was checked, by you, now)',
      params: ProviderParams,
      body: VerificationInput,
      response: { 201: Type.Object({ id: Type.String(), status: VerificationStatus }), 404: ErrorBody, 422: ErrorBody }
    }
  }, async (req, reply) => {
    const { providerId } = req.params as { providerId: string }
    const body = req.body as VInput
    const p = await read(req, providerId)
    if (!p) throw new NotFound('Provider profile')
    if (body.outcome === 'verified') {
      const passed = new Set(body.checks.filter((c) => c.result === 'pass').map((c) => c.kind))
      if (body.checks.some((c) => c.result === 'fail')) throw new Unprocessable('A provider with a failed check cannot be verified')
      if (!passed.has('identity-document') || !(passed.has('licence-board') || passed.has('npi-registry'))) {
        throw new Unprocessable('Verification needs a passed identity-document check and a passed licence-board or npi-registry check')
      }
    }
    const id = await f.db.transaction(async (tx) => {
      const vid = await recordVerification(f.phiVault, tx, providerId, req.user!.id, body)
      await req.audit({ action: 'provider.verification', outcome: 'success', targetType: 'provider', targetId: providerId,
        details: { verificationId: vid, outcome: body.outcome, checks: body.checks.map((c) => `${c.kind}:${c.result}`) } }, tx)
      return vid
    })
    return reply.code(201).send({ id, status: body.outcome })
  })

  f.get('/records/providers/:providerId/verification', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['Records'],
      summary: 'Verification status and history of a provider',
      params: ProviderParams,
      response: { 200: Type.Object({ status: VerificationStatus, verifiedAt: Type.Union([Type.String(), Type.Null()]), history: Type.Array(VerificationRecord) }), 404: ErrorBody }
    }
  }, async (req) => {
    const { providerId } = req.params as { providerId: string }
    const p = await read(req, providerId)
    if (!p) throw new NotFound('Provider profile')
    const history = await verificationHistory(f.phiVault, f.db, providerId)
    await req.audit({ action: 'provider.verification_read', outcome: 'success', targetType: 'provider', targetId: providerId, details: { entries: history.length } })
    return { status: p.verification, verifiedAt: p.verifiedAt, history }
  })
}
