import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  checks: Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('not-configured')]))
})

/** Liveness and readiness for load balancers and orchestrators. Neither reveals versions or errors. */
export default async function health (f: FastifyInstance) {
  f.get('/healthz', {
    config: { access: 'public', rateLimit: false },
    schema: { tags: ['Health'], response: { 200: Type.Object({ status: Type.Literal('alive') }) } }
  }, async () => ({ status: 'alive' as const }))

  f.get('/readyz', {
    config: { access: 'public', rateLimit: false },
    schema: { tags: ['Health'], response: { 200: Ready, 503: Ready } }
  }, async (_req, reply) => {
    const checks: Record<string, 'ok' | 'down' | 'not-configured'> = {}
    checks.database = await f.db.ping().then(() => 'ok' as const, () => 'down' as const)
    checks.redis = f.redis
      ? await f.redis.ping().then(() => 'ok' as const, () => 'down' as const)
      : 'not-configured'
    const ready = Object.values(checks).every((c) => c !== 'down')
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks })
  })
}
