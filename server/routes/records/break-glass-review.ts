import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ShreddedSubjectError } from '../../../core/crypto/vault.js'
import { BadRequest, Conflict, NotFound } from '../../../core/errors.js'
import { recordFailure } from '../../phi/access.js'
import { RecordErased, RecordUndecryptable } from '../../phi/errors.js'
import { ErrorBody } from './schemas.js'

const GrantParams = Type.Object({ grantId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })
const Outcome = Type.Union([Type.Literal('justified'), Type.Literal('unjustified')])
const Review = Type.Union([Type.Null(), Type.Object({
  outcome: Outcome, reviewedAt: Type.String(), reviewedBy: Type.String(), hasNote: Type.Boolean()
})])
const GrantSummary = Type.Object({
  grantId: Type.String(), actorId: Type.String(), actorRole: Type.String(), patientId: Type.String(),
  createdAt: Type.String(), expiresAt: Type.String(), review: Review
})
const ReasonStatus = Type.Union([Type.Literal('ok'), Type.Literal('erased'), Type.Literal('undecryptable')])
const GrantDetail = Type.Composite([GrantSummary, Type.Object({
  /** The clinician's stated reason; null when the patient's record was erased or the value does not open. */
  reason: Type.Union([Type.String(), Type.Null()]),
  reasonStatus: ReasonStatus,
  reviewNote: Type.Union([Type.String(), Type.Null()])
})])

interface Row {
  id: string; actor_id: string; actor_role: string; patient_id: string; created_at: Date; expires_at: Date
  reviewed_at: Date | null; reviewed_by: string | null; review_outcome: 'justified' | 'unjustified' | null
  reason_sealed: Buffer; review_note_sealed: Buffer | null
}

const SELECT = `SELECT g.id, g.actor_id, u.role AS actor_role, g.patient_id, g.created_at, g.expires_at,
                       g.reviewed_at, g.reviewed_by, g.review_outcome, g.reason_sealed, g.review_note_sealed
                  FROM break_glass_grants g JOIN users u ON u.id = g.actor_id`

const summary = (r: Row): Static<typeof GrantSummary> => ({
  grantId: r.id, actorId: r.actor_id, actorRole: r.actor_role, patientId: r.patient_id,
  createdAt: r.created_at.toISOString(), expiresAt: r.expires_at.toISOString(),
  review: r.reviewed_at && r.review_outcome && r.reviewed_by
    ? { outcome: r.review_outcome, reviewedAt: r.reviewed_at.toISOString(), reviewedBy: r.reviewed_by, hasNote: r.review_note_sealed !== null }
    : null
})

/**
 * The privacy officer's review of break-glass access. The list holds ids and
 * times only; opening one grant shows the stated reason, which is PHI sealed
 * with the patient's key, so that read is audited like any record read.
 */
export default async function breakGlassReviewRoutes (f: FastifyInstance) {
  const field = (id: string, column: 'reason' | 'review_note') => ({ table: 'break_glass_grants', column, row: id })

  /**
   * A sealed value of the grant, or why not. A failure goes through recordFailure
   * like any record read: erased is expected, anything else is an integrity
   * incident (audited, admins told).
   */
  async function opened (req: FastifyRequest, row: Row, column: 'reason' | 'review_note', sealed: Buffer | null):
  Promise<{ text: string | null; status: Static<typeof ReasonStatus> }> {
    if (sealed === null) return { text: null, status: 'ok' }
    try {
      return { text: await f.phiVault.open(Buffer.from(sealed), field(row.id, column)), status: 'ok' }
    } catch (err) {
      const failure = await recordFailure(f, req, row.patient_id, err)
      if (failure instanceof RecordErased) return { text: null, status: 'erased' }
      if (failure instanceof RecordUndecryptable) return { text: null, status: 'undecryptable' }
      throw failure
    }
  }

  f.get('/records/break-glass', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['Records'],
      summary: 'Break-glass grants to review, newest first (ids and times; no PHI)',
      querystring: Type.Object({
        status: Type.Optional(Type.Union([Type.Literal('unreviewed'), Type.Literal('all')])),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        before: Type.Optional(Type.String({ format: 'date-time', description: 'createdAt to page back from' }))
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ grants: Type.Array(GrantSummary) }) }
    }
  }, async (req) => {
    const { status = 'unreviewed', limit = 50, before } = req.query as { status?: 'unreviewed' | 'all'; limit?: number; before?: string }
    // The schema's date-time format admits what PostgreSQL refuses (year 0000, a +20:00 offset): pass a Date, not the text.
    const beforeAt = before === undefined ? null : new Date(before)
    if (beforeAt !== null && Number.isNaN(beforeAt.getTime())) throw new BadRequest('before is not a valid date-time')
    const { rows } = await f.db.query<Row>(
      `${SELECT} WHERE ($1::boolean OR g.reviewed_at IS NULL) AND ($2::timestamptz IS NULL OR g.created_at < $2::timestamptz)
        ORDER BY g.created_at DESC LIMIT $3`, [status === 'all', beforeAt, limit])
    return { grants: rows.map(summary) }
  })

  f.get('/records/break-glass/:grantId', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['Records'],
      summary: 'One break-glass grant with the reason given (an audited PHI read)',
      params: GrantParams,
      response: { 200: GrantDetail, 404: ErrorBody }
    }
  }, async (req) => {
    const { grantId } = req.params as { grantId: string }
    const row = (await f.db.query<Row>(`${SELECT} WHERE g.id = $1`, [grantId])).rows[0]
    if (!row) throw new NotFound('Break-glass grant')
    const reason = await opened(req, row, 'reason', row.reason_sealed)
    const note = await opened(req, row, 'review_note', row.review_note_sealed)
    await req.audit({
      action: 'phi.read', outcome: 'success', targetType: 'patient', targetId: row.patient_id,
      details: { fields: ['break-glass reason'], purpose: 'operations', via: 'privacy-review', breakGlassGrant: row.id }
    })
    return { ...summary(row), reason: reason.text, reasonStatus: reason.status, reviewNote: note.text }
  })

  f.post('/records/break-glass/:grantId/review', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['Records'],
      summary: 'Record the review of a break-glass access: justified or not, with an optional note (sealed)',
      params: GrantParams,
      body: Type.Object({ outcome: Outcome, note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }, { additionalProperties: false }),
      response: { 200: GrantSummary, 404: ErrorBody, 409: ErrorBody, 410: ErrorBody }
    }
  }, async (req) => {
    const { grantId } = req.params as { grantId: string }
    const { outcome, note } = req.body as { outcome: 'justified' | 'unjustified'; note?: string }
    return f.db.transaction(async (tx) => {
      const row = (await tx.query<Row>(`${SELECT} WHERE g.id = $1 FOR UPDATE OF g`, [grantId])).rows[0]
      if (!row) throw new NotFound('Break-glass grant')
      if (row.reviewed_at) throw new Conflict('This break-glass access was already reviewed')
      let sealed: Buffer | null = null
      if (note !== undefined) {
        try {
          sealed = await f.phiVault.seal(row.patient_id, note, field(row.id, 'review_note'), tx)
        } catch (err) {
          // The patient was erased since: the outcome is still recorded, a note cannot be.
          if (!(err instanceof ShreddedSubjectError)) throw err
        }
      }
      // The row is locked above: the update finds it, and only its review columns change.
      const { rows } = await tx.query<{ reviewed_at: Date }>(
        `UPDATE break_glass_grants SET reviewed_at = now(), reviewed_by = $2, review_outcome = $3, review_note_sealed = $4
          WHERE id = $1 RETURNING reviewed_at`, [row.id, req.user!.id, outcome, sealed])
      await req.audit({
        action: 'phi.break_glass.review', outcome: 'success', targetType: 'patient', targetId: row.patient_id,
        details: { breakGlassGrant: row.id, result: outcome, actorReviewed: row.actor_id, noteGiven: sealed !== null }
      }, tx)
      return summary({ ...row, reviewed_at: rows[0].reviewed_at, reviewed_by: req.user!.id, review_outcome: outcome, review_note_sealed: sealed })
    })
  })
}
