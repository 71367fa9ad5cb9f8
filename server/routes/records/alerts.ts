import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'

const Alert = Type.Object({
  seq: Type.String(),
  at: Type.String(),
  action: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown())
})

/** The admins' queue of PHI alerts (break-glass, unusual access, undecryptable records), read from the audit log. */
export default async function alertRoutes (f: FastifyInstance) {
  f.get('/records/alerts', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['Records'],
      summary: 'Recent PHI access alerts (ids and kinds only; no PHI)',
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        before: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'seq to page back from' }))
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ alerts: Type.Array(Alert) }) }
    }
  }, async (req) => {
    const { limit = 100, before } = req.query as { limit?: number; before?: string }
    const { rows } = await f.db.query<{ seq: string; at: Date; action: string; actor_id: string | null; target_type: string | null; target_id: string | null; details: Record<string, unknown> }>(
      `SELECT seq::text, at, action, actor_id, target_type, target_id, details FROM audit_log
        WHERE outcome = 'alert' AND action LIKE 'phi.%' AND ($2::bigint IS NULL OR seq < $2::bigint)
        ORDER BY seq DESC LIMIT $1`, [limit, before ?? null])
    return {
      alerts: rows.map((r) => ({ seq: r.seq, at: r.at.toISOString(), action: r.action, actorId: r.actor_id, targetType: r.target_type, targetId: r.target_id, details: r.details }))
    }
  })
}
