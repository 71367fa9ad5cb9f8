import ical from 'node-ical'
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { bearer, createTestUser } from '../helpers/users.js'
import { bookBody, dayAt, providerWithCalendar } from './helpers.js'

type VEvent = { type: string; summary: string; start: Date; end: Date; status?: string; description?: string; uid: string }
const events = (body: string) => Object.values(ical.sync.parseICS(body)).filter((c) => c?.type === 'VEVENT') as unknown as VEvent[]

t.test('provider feed: secret, revocable, PHI-free, parses back', async (t) => {
  const { app, logs } = await buildTestApp(t, { PUBLIC_URL: 'https://bedside.hospital.test' })
  const { provider, visitTypeId } = await providerWithCalendar(app, { specialty: 'Psychiatry-SPECIALTY-MARKER', visitTypes: [{ code: 'therapy', name: 'Therapy VT-MARKER', durationMinutes: 30 }] })
  const other = await providerWithCalendar(app)
  const staff = await createTestUser(app, 'staff')
  const pat = await createTestUser(app, 'patient')

  const a = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, dayAt(2, 9), { reason: 'Suicidal thoughts PHI-MARKER' }) })
  const b = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, dayAt(2, 11)) })
  await app.inject({ method: 'POST', url: `/appointments/${b.json().id}/cancel`, headers: bearer(pat), payload: {} })

  t.equal((await app.inject({ method: 'POST', url: `/providers/${provider.id}/calendar-feed`, headers: bearer(other.provider) })).statusCode, 403)
  const issued = await app.inject({ method: 'POST', url: `/providers/${provider.id}/calendar-feed`, headers: bearer(provider) })
  t.equal(issued.statusCode, 201)
  t.equal(issued.headers['cache-control'], 'no-store')
  const url = new URL(issued.json().url)
  t.equal(url.origin + url.pathname, 'https://bedside.hospital.test/calendar/feed.ics')
  const token = url.searchParams.get('token')!
  const stored = await app.db.query<{ token_hash: Buffer }>('SELECT token_hash FROM calendar_feeds WHERE provider_id = $1', [provider.id])
  t.equal(stored.rows[0].token_hash.length, 32, 'only a SHA-256 is stored')
  t.notOk(stored.rows[0].token_hash.toString('latin1').includes(token))

  const feed = await app.inject({ url: `/calendar/feed.ics?token=${token}` })
  t.equal(feed.statusCode, 200)
  t.match(feed.headers['content-type'], /^text\/calendar/)
  const evs = events(feed.body).sort((x, y) => x.start.getTime() - y.start.getTime())
  t.equal(evs.length, 2)
  t.same(evs.map((e) => [e.summary, e.start.toISOString(), e.end.toISOString(), e.status]), [
    ['Video visit', dayAt(2, 9).toISOString(), dayAt(2, 9, 30).toISOString(), 'CONFIRMED'],
    ['Video visit', dayAt(2, 11).toISOString(), dayAt(2, 11, 30).toISOString(), 'CANCELLED']
  ])
  t.equal(evs[0].uid, `${a.json().id}@bedside.hospital.test`, 'stable UID: calendar apps update, not duplicate')
  for (const re of [/PHI-MARKER/, /SPECIALTY-MARKER/, /Psychiatry/i, /VT-MARKER/, /therapy/i, new RegExp(pat.id), new RegExp(pat.email)]) {
    t.notMatch(feed.body, re, `no ${re} in the feed`)
  }
  t.notOk(logs.join('').includes(token), 'the token never reaches the logs')

  // Another provider's token shows only their visits; a wrong token is a 404.
  t.equal((await app.inject({ url: '/calendar/feed.ics?token=' + 'x'.repeat(43) })).statusCode, 404)
  t.equal((await app.inject({ url: '/calendar/feed.ics' })).statusCode, 400)

  // Reissue by staff revokes the old URL; DELETE revokes the new one.
  const again = await app.inject({ method: 'POST', url: `/providers/${provider.id}/calendar-feed`, headers: bearer(staff) })
  const token2 = new URL(again.json().url).searchParams.get('token')!
  t.equal((await app.inject({ url: `/calendar/feed.ics?token=${token}` })).statusCode, 404, 'old URL dead after reissue')
  t.equal((await app.inject({ url: `/calendar/feed.ics?token=${token2}` })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: `/providers/${provider.id}/calendar-feed`, headers: bearer(provider) })).statusCode, 204)
  t.equal((await app.inject({ url: `/calendar/feed.ics?token=${token2}` })).statusCode, 404, 'revoked')
  t.equal((await app.inject({ method: 'DELETE', url: `/providers/${provider.id}/calendar-feed`, headers: bearer(provider) })).statusCode, 404)
  const audit = await app.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'calendar-feed.%' ORDER BY seq`)
  t.same(audit.rows.map((r) => r.action), ['calendar-feed.issue', 'calendar-feed.issue', 'calendar-feed.revoke'])
})

t.test('patients get an .ics of their own booking', async (t) => {
  const { app } = await buildTestApp(t)
  const { provider, visitTypeId } = await providerWithCalendar(app)
  const pat = await createTestUser(app, 'patient')
  const stranger = await createTestUser(app, 'patient')
  const a = await app.inject({ method: 'POST', url: '/appointments', headers: bearer(pat), payload: bookBody(provider.id, visitTypeId, dayAt(2, 9), { reason: 'Rash PHI-MARKER' }) })
  const res = await app.inject({ url: `/appointments/${a.json().id}/ics`, headers: bearer(pat) })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-disposition'], /attachment; filename="video-visit\.ics"/)
  const evs = events(res.body)
  t.equal(evs.length, 1)
  t.equal(evs[0].start.toISOString(), dayAt(2, 9).toISOString())
  t.notMatch(res.body, /PHI-MARKER|cardiology/i)
  t.equal((await app.inject({ url: `/appointments/${a.json().id}/ics`, headers: bearer(stranger) })).statusCode, 404)
})
