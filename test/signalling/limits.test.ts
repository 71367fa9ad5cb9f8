import t from 'tap'
import WebSocket from 'ws'
import { CloseCodes } from '../../signalling/protocol.js'
import { cast, Client, joinAs, signallingApp, sleep, ticketFor } from './helpers.js'

t.test('per-connection limits and heartbeats', async (t) => {
  // A slow refill so a loaded machine delivering the flood slowly still empties the bucket.
  const { app, url } = await signallingApp(t, { WS_HEARTBEAT_INTERVAL: '1', WS_RATE_PER_SECOND: '1' })
  const { patient, provider, appointmentId } = await cast(app)

  t.test('a flood is refused, then closed with 4004', async (t) => {
    const { c } = await joinAs(url, app, provider, appointmentId)
    const replies: any[] = []
    c.ws.on('message', (m) => replies.push(JSON.parse(m.toString())))
    for (let i = 0; i < 200 && c.ws.readyState === c.ws.OPEN; i++) c.ws.send(JSON.stringify({ id: 1000 + i, method: 'ping', data: {} }))
    const { code } = await c.closed
    t.equal(code, CloseCodes.rateLimited)
    const ok = replies.filter((r) => r.ok === true).length
    const limited = replies.filter((r) => r.error?.code === 'BDS_WS_RATE_LIMITED').length
    t.ok(ok <= 60, `no more than the burst is served (${ok}; queued ones are dropped at the close)`)
    t.equal(limited, 20, 'the messages beyond the burst are refused, 20 of them, then the socket closes')
    t.same(replies.at(-1), { event: 'closing', data: { code: 4004, reason: 'message rate limit exceeded' } }, 'the reason is announced')
  })

  t.test('a socket that stops answering pings is closed with 4006', async (t) => {
    const ticket = await ticketFor(app, patient, appointmentId)
    const mute = new WebSocket(url, { autoPong: false })
    await new Promise((resolve) => mute.once('open', resolve))
    mute.send(JSON.stringify({ id: 1, method: 'join', data: { version: 1, ticket } }))
    const started = Date.now()
    const code = await new Promise<number>((resolve) => mute.once('close', (c) => resolve(c)))
    t.equal(code, CloseCodes.idle)
    t.ok(Date.now() - started < 5000, 'within about two heartbeat intervals')

    const live = await joinAs(url, app, patient, appointmentId)
    await sleep(3500)
    t.equal(live.c.ws.readyState, WebSocket.OPEN, 'a client that answers pings stays connected while silent')
    live.c.close()
  })

  t.test('invalid messages: error replies naming the problem, then 4003', async (t) => {
    const c = await Client.open(url)
    const first = await c.request('join', { version: 1 })
    t.same(first, { id: 1, ok: false, error: { code: 'BDS_WS_VALIDATION', message: 'join data/ticket: Expected required property' } })
    const version = await c.request('join', { version: 2, ticket: 'vt_' + 'x'.repeat(43) })
    t.equal(version.ok ? 'ok' : version.error.code, 'BDS_WS_VERSION_UNSUPPORTED')
    const unknown = await c.request('fly' as 'ping', {})
    t.same(unknown, { id: 3, ok: false, error: { code: 'BDS_WS_UNKNOWN_METHOD', message: 'Unknown method' } })
    for (let i = 0; i < 17; i++) c.send('not json')
    t.equal((await c.closed).code, CloseCodes.protocolViolation)
  })

  // Last: it closes the app's media engine.
  t.test('a join the media engine cannot serve leaves no half-joined participant', async (t) => {
    await (await app.signalling.engine()).close()
    const other = await cast(app)
    const c = await Client.open(url)
    const r = await c.request('join', { version: 1, ticket: await ticketFor(app, other.provider, other.appointmentId) })
    t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_MEDIA')
    t.equal((await app.signalling.registry.visitFor(other.appointmentId)).size, 0)
    c.close()
  })
})
