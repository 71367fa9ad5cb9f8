import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import websocket from '@fastify/websocket'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { DestinationStream } from 'pino'
import { loggerOptions } from '../core/logger.js'
import { createSessionGate } from './auth/session-gate.js'
import access from './plugins/access.js'
import audit from './plugins/audit.js'
import docs from './plugins/docs.js'
import errors from './plugins/errors.js'
import inputGuard from './plugins/input-guard.js'
import security from './plugins/security.js'
import services, { type Services } from './plugins/services.js'
import { registerRoutes } from './routes/index.js'

export interface AppOptions {
  /** Where log lines go; tests capture them to prove no PHI is logged. */
  logStream?: DestinationStream
  https?: { cert: Buffer; key: Buffer }
}

/** Builds the API without listening; main.ts listens, tests use inject(). */
export async function buildApp (s: Services, opts: AppOptions = {}): Promise<FastifyInstance> {
  const { server } = s.config
  const f = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    logger: opts.logStream
      ? { ...loggerOptions(server.logLevel), stream: opts.logStream }
      : loggerOptions(server.logLevel),
    bodyLimit: server.bodyLimit,
    trustProxy: server.trustProxy,
    genReqId: () => randomUUID(),
    // One line per request (below), not Fastify's two: half the log volume on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // Routes are case-sensitive and exact; no surprises for the route-table tests.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // The request line holds only the fields named here (path without query,
  // method, ids, status, time), none of which may carry PHI, so it skips the
  // wildcard redaction every other line goes through: a third of its cost.
  const requestLog = f.log.child({}, { redact: { paths: [] } })
  f.addHook('onResponse', (req, reply, done) => {
    requestLog.info({ req, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request')
    done()
  })
  await f.register(services, s)
  await f.register(errors)
  await f.register(access, {
    tokens: s.tokens,
    sessions: createSessionGate(s.db, {
      idleSeconds: s.config.auth.sessionIdleTimeout, cacheMs: s.config.auth.sessionCheckCacheMs, changes: s.db.changes
    })
  })
  await f.register(audit)
  await f.register(inputGuard)
  await f.register(security)
  await f.register(docs)
  await f.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await registerRoutes(f)
  return f
}
