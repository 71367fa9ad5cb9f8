import WebSocket from 'ws'
import t from 'tap'
import { bearer, createTestUser } from '../helpers/users.js'
import { CloseCodes } from '../../signalling/protocol.js'
import { cast, Client, signallingApp, ticketFor } from './helpers.js'

t.test('visit tickets', async (t) => {
  const { app, url } = await signallingApp(t, { WS_JOIN_TIMEOUT: '1' })
  const { patient, provider, appointmentId } = await cast(app)
  const post = (headers: Record<string, string>, id = appointmentId) =>
    app.inject({ method: 'POST', url: `/visits/${id}/ticket`, headers })

  t.test('only the appointment\'s patient, its provider and staff get one', async (t) => {
    t.equal((await post({})).statusCode, 401, 'no token')
    const otherPatient = await createTestUser(app, 'patient')
    const otherProvider = await createTestUser(app, 'provider')
    t.equal((await post(bearer(await createTestUser(app, 'admin')))).statusCode, 403, 'admins hold no visits')
    for (const [who, u] of [['another patient', otherPatient], ['another provider', otherProvider]] as const) {
      const res = await post(bearer(u))
      t.equal(res.statusCode, 404, `${who} is refused like a missing appointment`)
      t.notMatch(res.body, /ticket"/)
    }
    t.equal((await post(bearer(patient))).statusCode, 201, 'patient')
    t.equal((await post(bearer(provider))).statusCode, 201, 'provider')
    t.equal((await post(bearer(await createTestUser(app, 'staff')))).statusCode, 201, 'staff')
    t.equal((await post(bearer(patient), '00000000-0000-4000-8000-000000000000')).statusCode, 404, 'unknown appointment')
    t.equal((await post(bearer(patient), 'not-a-uuid')).statusCode, 400, 'bad id')
    const denied = await app.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'visit.ticket.issue' AND outcome = 'denied'")
    t.equal(denied.rows[0].n, 3, 'refusals audited')
  })

  t.test('a ticket is opaque, stored hashed, not an access token', async (t) => {
    const res = await post(bearer(patient))
    const body = res.json()
    t.match(body.ticket, /^vt_[A-Za-z0-9_-]{43}$/)
    t.match(body.ws, /^\/ws\?route=[0-9a-f]{16}$/, 'a socket path with a routing key')
    t.equal((await post(bearer(provider))).json().ws, body.ws, 'the same for everyone in the visit, so a proxy sends them to one API process')
    t.notMatch(body.ws, new RegExp(appointmentId.slice(0, 8)), 'which says nothing of the appointment')
    const upgraded = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(url.replace(/\/ws$/, body.ws))
      ws.once('open', () => { ws.close(); resolve(true) })
      ws.once('error', () => resolve(false))
    })
    t.ok(upgraded, 'the path opens a socket')
    const bad = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(url + '?route=../../etc')
      ws.once('open', () => { ws.close(); resolve(true) })
      ws.once('error', () => resolve(false))
    })
    t.notOk(bad, 'a malformed routing key is refused')
    t.notOk(body.ticket.includes('.'), 'no JWT')
    const stored = await app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM visit_tickets WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'", [body.ticket])
    t.equal(stored.rows[0].n, 0, 'plain ticket not in the database')
    // A ticket is no bearer token, and a bearer token is no ticket.
    t.equal((await app.inject({ method: 'POST', url: `/visits/${appointmentId}/ticket`, headers: { authorization: `Bearer ${body.ticket}` } })).statusCode, 401)
    const c = await Client.open(url)
    const jwt = await c.request('join', { version: 1, ticket: patient.token })
    t.equal(jwt.ok ? 'ok' : jwt.error.code, 'BDS_WS_VALIDATION', 'an access token is not even shaped like a ticket')
    const forged = await c.request('join', { version: 1, ticket: 'vt_' + 'A'.repeat(43) })
    t.equal(forged.ok ? 'ok' : forged.error.code, 'BDS_WS_TICKET_INVALID')
    t.equal((await c.closed).code, CloseCodes.ticketInvalid)
  })

  t.test('a used ticket is refused', async (t) => {
    const ticket = await ticketFor(app, patient, appointmentId)
    const a = await Client.open(url)
    t.equal((await a.call('join', { version: 1, ticket })).state, 'waiting')
    const b = await Client.open(url)
    const r = await b.request('join', { version: 1, ticket })
    t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_TICKET_INVALID')
    t.equal((await b.closed).code, CloseCodes.ticketInvalid)
    a.close()
  })

  t.test('an expired ticket is refused', async (t) => {
    const ticket = await ticketFor(app, patient, appointmentId)
    await app.db.query("UPDATE visit_tickets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
    const c = await Client.open(url)
    const r = await c.request('join', { version: 1, ticket })
    t.equal(r.ok ? 'ok' : r.error.message, 'Visit ticket refused (expired); request a new one')
    t.equal((await c.closed).code, CloseCodes.ticketInvalid)
  })

  t.test('the ticket is read from the first message, never from the URL', async (t) => {
    const ticket = await ticketFor(app, patient, appointmentId)
    const refused = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`${url}?ticket=${ticket}`)
      ws.once('open', () => { ws.close(); resolve(false) })
      ws.once('error', () => resolve(true))
    })
    t.ok(refused, 'a ticket in the URL is refused before the socket opens')
    const c = await Client.open(url)
    const { code } = await c.closed
    t.equal(code, CloseCodes.joinTimeout, 'a socket that sends no join is closed after the join timeout')
    const again = await Client.open(url)
    t.equal((await again.call('join', { version: 1, ticket })).state, 'waiting', 'the ticket was never used')
    again.close()
  })

  t.test('other messages before join are refused', async (t) => {
    const c = await Client.open(url)
    const r = await c.request('chat', { text: 'hello' })
    t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_NOT_JOINED')
    c.close()
  })

  t.test('a cancelled or far-off appointment gets no ticket', async (t) => {
    const cancelled = await cast(app, { status: 'cancelled' })
    t.equal((await post(bearer(cancelled.patient), cancelled.appointmentId)).statusCode, 409)
    const later = await cast(app, { startsInMinutes: 24 * 60 })
    const res = await post(bearer(later.patient), later.appointmentId)
    t.equal(res.statusCode, 409)
    t.match(res.json().message, /opens closer/)
  })

  t.test('a foreign Origin cannot open the socket', async (t) => {
    const c = new Client(url, { origin: 'https://evil.example' })
    t.equal((await c.closed).code, 1006)
  })
})
