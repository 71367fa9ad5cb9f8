import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('healthz is alive and readyz checks the database', async (t) => {
  const { app } = await buildTestApp(t)
  const alive = await app.inject({ url: '/healthz' })
  t.equal(alive.statusCode, 200)
  t.same(alive.json(), { status: 'alive' })
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', checks: { database: 'ok', redis: 'not-configured' } })
})

t.test('readyz reports Redis when configured', async (t) => {
  const { app } = await buildTestApp(t, { REDIS_URL: 'redis://127.0.0.1:6379' })
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.json().checks.redis, 'ok')
})

t.test('unknown routes are a JSON 404 and security headers are set', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/nope?email=someone@example.test' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { statusCode: 404, error: 'Not Found' })
  t.notMatch(res.body, /someone@example/, 'query string is not echoed')
  const ok = await app.inject({ url: '/healthz' })
  t.match(ok.headers['strict-transport-security'], /max-age=31536000/)
  t.ok(ok.headers['content-security-policy'])
  t.equal(ok.headers['access-control-allow-origin'], undefined, 'CORS closed by default')
  t.equal(ok.headers['cache-control'], 'no-store', 'API answers are never cached')
  t.equal(res.headers['cache-control'], 'no-store', 'error answers neither')
  t.equal((await app.inject({ url: '/' })).headers['cache-control'], 'no-cache', 'the web app\'s pages revalidate instead')
})

t.test('OpenAPI docs are served from the route schemas', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/docs/json' })
  t.equal(res.statusCode, 200)
  t.ok(res.json().paths['/readyz'])
})
