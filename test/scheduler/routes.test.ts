import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { bookBody, providerWithCalendar } from './helpers.js'

const OURS = /^\/(slots|appointments|providers\/\{providerId\}\/(calendar|visit-types|availability-rules|exceptions|calendar-feed)|calendar\/feed\.ics|waiting-room|me\/reminder-preferences)(\/|$)/

t.test('every scheduling route is documented and its inputs are closed schemas', async (t) => {
  const { app } = await buildTestApp(t)
  const doc = (await app.inject({ url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: { content: Record<string, { schema: { additionalProperties?: boolean } }> } }>>
  }
  const ours = Object.entries(doc.paths).filter(([p]) => OURS.test(p))
  t.ok(ours.length >= 17, `scheduling paths documented (${ours.length})`)
  for (const [path, ops] of ours) {
    for (const [method, op] of Object.entries(ops)) {
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        t.equal(media.schema.additionalProperties, false, `${method.toUpperCase()} ${path} body is closed`)
      }
    }
  }
  // Unknown query keys are refused, not ignored.
  const res = await app.inject({ url: '/calendar/feed.ics?token=' + 'a'.repeat(43) + '&extra=1' })
  t.equal(res.statusCode, 400)
})

t.test('a time the date-time format admits but JavaScript cannot read (a leap second) is a 4xx everywhere', async (t) => {
  const { app } = await buildTestApp(t)
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const patient = await createTestUser(app, 'patient')
  const LEAP = '2030-06-30T23:59:60Z'
  const tries = [
    { method: 'POST' as const, url: '/appointments', who: patient, payload: bookBody(provider.id, visitTypeId, new Date(), { startsAt: LEAP }) },
    { method: 'GET' as const, url: `/appointments?from=${encodeURIComponent(LEAP)}`, who: provider },
    { method: 'GET' as const, url: `/slots?from=${encodeURIComponent(LEAP)}&to=${encodeURIComponent('2030-07-02T00:00:00Z')}`, who: patient },
    { method: 'POST' as const, url: `/providers/${provider.id}/exceptions`, who: provider, payload: { kind: 'leave', startsAt: LEAP, endsAt: '2030-07-02T00:00:00Z' } }
  ]
  for (const { who, ...req } of tries) {
    const res = await app.inject({ ...req, headers: bearer(who) })
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${req.method} ${req.url.split('?')[0]}: ${res.statusCode}`)
  }
})
