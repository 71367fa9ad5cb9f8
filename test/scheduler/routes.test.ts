import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

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
