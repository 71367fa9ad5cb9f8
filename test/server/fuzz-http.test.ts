import t from 'tap'
import { ROLES, type Role } from '../../core/roles.js'
import { buildTestApp } from '../helpers/app.js'
import { deepNest, randomValue, rng } from '../helpers/fuzz.js'
import { concreteRoutes } from '../helpers/routes.js'
import { bearer, createTestUser, type TestUser } from '../helpers/users.js'

// Thousands of hostile requests to every route, as each role allowed to call
// it: none may produce a 5xx, and every error is { statusCode, error, message }.
t.test('no generated bad request reaches a 5xx', async (t) => {
  const { app, logs } = await buildTestApp(t, { BODY_LIMIT: '16384' })
  const users = {} as Record<Role, TestUser>
  for (const role of ROLES) users[role] = await createTestUser(app, role)
  const r = rng(Number(process.env.FUZZ_SEED ?? 20261204))
  const paramFills = ['not-a-uuid', '00000000-0000-0000-0000-000000000000', '%00', 'x'.repeat(150), '..%2f..', '😀', '%ZZ']

  let sent = 0
  const failures: string[] = []
  const check = (label: string, res: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
    sent++
    if (res.statusCode >= 500) failures.push(`${label} → ${res.statusCode} ${res.body.slice(0, 200)}`)
    if (res.statusCode >= 400 && String(res.headers['content-type'] ?? '').includes('json')) {
      const body = JSON.parse(res.body)
      if (typeof body.statusCode !== 'number' || typeof body.error !== 'string' || typeof body.message !== 'string') {
        failures.push(`${label} → error body shape ${res.body.slice(0, 200)}`)
      }
      if (/at .*\.(ts|js):\d+/.test(res.body)) failures.push(`${label} → stack trace in body`)
    }
  }

  const perRoute = Number(process.env.FUZZ_PER_ROUTE ?? 60)
  for (const route of concreteRoutes(app)) {
    if (route.pattern === '/ws' || route.pattern.startsWith('/docs')) continue
    const callers: (TestUser | null)[] = route.access === 'public' ? [null] : route.access.roles.map((role) => users[role])
    for (const caller of callers) {
      const headers: Record<string, string> = caller ? bearer(caller) : {}
      const label = `${caller?.role ?? 'anon'} ${route.method} ${route.pattern}`
      for (let i = 0; i < perRoute; i++) {
        const body = randomValue(r)
        const url = i % 3 === 0
          ? route.pattern.replace(/:([A-Za-z0-9_]+)/g, () => encodeURIComponent(paramFills[Math.floor(r() * paramFills.length)])).replace(/\*/g, '%00')
          : route.url
        const q = randomValue(r)
        const pairs = q !== null && typeof q === 'object' ? Object.entries(q) : [['q', q]]
        const qs = i % 2 === 0 ? '?' + new URLSearchParams(pairs.map(([k, v]) => [String(k), typeof v === 'string' ? v : JSON.stringify(v) ?? ''])).toString() : ''
        const res = await app.inject({
          method: route.method, url: url + qs, headers: { ...headers, 'content-type': 'application/json' },
          payload: route.method === 'GET' || route.method === 'DELETE' ? undefined : JSON.stringify(body)
        })
        check(`${label} [${i}]`, res)
      }
      if (route.method === 'GET') continue
      const odd: Array<[string, string]> = [
        ['application/json', '{"email": '], ['application/json', '{"a":1}garbage'], ['application/json', deepNest(5000)],
        ['text/plain', 'hello'], ['application/xml', '<a/>'], ['multipart/form-data; boundary=x', '--x\r\n'],
        ['application/json', JSON.stringify({ x: 'y'.repeat(20000) })], ['application/json', '"\\ud800"'],
        ['application/json; charset=utf-16', '{}'], ['', '{}']
      ]
      for (const [type, payload] of odd) {
        const res = await app.inject({ method: route.method, url: route.url, headers: { ...headers, ...(type ? { 'content-type': type } : {}) }, payload })
        check(`${label} content-type=${type || 'none'}`, res)
      }
    }
  }
  t.ok(sent >= 100, `sent ${sent} requests`)
  t.same(failures.slice(0, 20), [], `no 5xx or malformed errors (${failures.length} failures)`)
  const errors = logs.filter((l) => l.includes('"level":50'))
  t.same(errors.slice(0, 5), [], 'no error-level log lines')
})
