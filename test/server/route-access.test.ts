import t from 'tap'
import { ROLES, type Role } from '../../core/roles.js'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser, type TestUser } from '../helpers/users.js'
import { concreteRoutes } from '../helpers/routes.js'

// Walks Fastify's whole route table: every route declares who may call it,
// anonymous callers get 401 from every non-public route, and every role not
// listed gets 403 — before validation, so even an empty request proves it.
t.test('every route declares access; others get 401/403', async (t) => {
  const { app } = await buildTestApp(t)
  const users = {} as Record<Role, TestUser>
  for (const role of ROLES) users[role] = await createTestUser(app, role)

  const routes = concreteRoutes(app)
  t.ok(routes.length > 3, `found ${routes.length} routes`)
  for (const r of app.accessTable) t.not(r.config?.access, undefined, `${String(r.method)} ${r.url} declares access`)

  for (const r of routes) {
    if (r.access === 'public') continue
    const anon = await app.inject({ method: r.method, url: r.url })
    t.equal(anon.statusCode, 401, `anonymous ${r.method} ${r.url} → 401`)
    for (const role of ROLES) {
      if (r.access.roles.includes(role)) continue
      const res = await app.inject({ method: r.method, url: r.url, headers: bearer(users[role]) })
      t.equal(res.statusCode, 403, `${role} ${r.method} ${r.url} → 403`)
    }
  }
})

t.test('a route without an access declaration stops the server from starting', async (t) => {
  const { buildApp } = await import('../../server/app.js')
  const { app } = await buildTestApp(t)
  // Same services, one more route with no declaration.
  const Fastify = (await import('fastify')).default
  const f = Fastify()
  const access = (await import('../../server/plugins/access.js')).default
  await f.register(access, { tokens: app.tokens, sessions: { check: async () => ({ live: true, pendingConsent: null }), cached: () => null } })
  f.get('/open', async () => 'oops')
  await t.rejects(async () => { await f.ready() }, /routes without config\.access: GET \/open/)
  t.ok(buildApp)
})
