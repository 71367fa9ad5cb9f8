import Fastify from 'fastify'
import t from 'tap'
import access from '../../../server/plugins/access.js'
import audit from '../../../server/plugins/audit.js'
import errors from '../../../server/plugins/errors.js'
import services from '../../../server/plugins/services.js'
import { createSessionGate } from '../../../server/auth/session-gate.js'
import type { Notice, Notifier } from '../../../server/notify/notifier.js'
import authRoutes from '../../../server/routes/auth/index.js'
import { buildAuthApp, PASSPHRASE } from './helpers.js'

t.test('the notifier is pluggable: another one receives the notices instead of the outbox', async (t) => {
  const { services: s } = await buildAuthApp(t)
  const sent: Notice[] = []
  const custom: Notifier = { async send (n) { sent.push(n) } }
  const f = Fastify({ logger: false })
  await f.register(services, s)
  await f.register(errors)
  await f.register(access, { tokens: s.tokens, sessions: createSessionGate(s.db, { idleSeconds: s.config.auth.sessionIdleTimeout, cacheMs: 0, changes: s.db.changes }) })
  await f.register(audit)
  await f.register(authRoutes, { notifier: custom })
  await f.ready()
  t.teardown(() => f.close())

  const res = await f.inject({ method: 'POST', url: '/auth/register', payload: { email: 'plug@example.test', password: PASSPHRASE } })
  t.equal(res.statusCode, 202)
  t.equal(sent.length, 1)
  t.match(sent[0], { to: 'plug@example.test', purpose: 'verify-email', link: /#token=/ })
  t.equal((await s.db.query('SELECT 1 FROM outbox')).rowCount, 0, 'nothing in the outbox')
})
