import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { appendAudit, type AuditEntry } from '../../core/audit/audit-log.js'
import type { Queryable } from '../../core/db/db.js'

type RequestAudit = (entry: Omit<AuditEntry, 'requestId' | 'ip'>, tx?: Queryable) => Promise<void>

declare module 'fastify' {
  interface FastifyRequest { audit: RequestAudit }
}

/**
 * request.audit() fills in who, from where and which request, so routes only
 * say what happened. Pass the route's transaction to make the audit entry part
 * of the change it records.
 */
export default fp(async function audit (f: FastifyInstance) {
  f.decorateRequest('audit', function (this: FastifyRequest, entry, tx) {
    return appendAudit(tx ?? f.db, {
      actorId: this.user?.id ?? null,
      actorRole: this.user?.role ?? null,
      ...entry,
      requestId: this.id,
      ip: this.ip
    })
  } as RequestAudit)
}, { name: 'audit', dependencies: ['services'] })
