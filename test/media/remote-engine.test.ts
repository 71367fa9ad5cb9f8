import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import type { MediaEngine, MediaEvent } from '../../media/engine.js'
import { secretMatches } from '../../media/node-server.js'
import { waitFor } from './helpers/client.js'
import { joinNodeClient } from './helpers/werift-client.js'
import { NODE_SECRET, nodeCluster, timing, type TestNode } from './helpers/nodes.js'

/** Opens a raw RPC socket to a node; resolves with the HTTP status when the upgrade is refused. */
function raw (port: number, headers: Record<string, string>): Promise<{ ws?: WebSocket; status?: number; hello?: unknown }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { headers })
    ws.on('unexpected-response', (_req, res) => { resolve({ status: res.statusCode }); ws.terminate() })
    ws.on('error', () => undefined)
    ws.once('message', (m) => resolve({ ws, hello: JSON.parse(m.toString()) }))
  })
}

const statusOf = async (p: Promise<unknown>): Promise<number | undefined> => {
  try { await p } catch (err) { return (err as { statusCode?: number }).statusCode ?? 500 }
  return undefined
}

t.test('the node secret is compared whole, whatever the lengths', async (t) => {
  t.ok(secretMatches(NODE_SECRET, NODE_SECRET))
  t.notOk(secretMatches(NODE_SECRET.slice(0, -1), NODE_SECRET))
  t.notOk(secretMatches(`${NODE_SECRET}x`, NODE_SECRET))
  t.notOk(secretMatches(undefined, NODE_SECRET))
  t.notOk(secretMatches('', NODE_SECRET))
})

t.test('a node refuses connections without the shared secret', async (t) => {
  const cluster = nodeCluster(t)
  const node = await cluster.node('node-a')
  t.equal((await raw(node.server.port, {})).status, 401, 'no Authorization header: 401 before any WebSocket')
  t.equal((await raw(node.server.port, { authorization: 'Bearer wrong-secret-wrong-secret-wrong-secret' })).status, 401, 'wrong secret: 401')
  t.equal((await raw(node.server.port, { authorization: NODE_SECRET })).status, 401, 'secret without the Bearer scheme: 401')
  const ok = await raw(node.server.port, { authorization: `Bearer ${NODE_SECRET}` })
  t.same(ok.hello, { hello: { nodeId: 'node-a', engine: 'werift' } }, 'the right secret gets the hello')
  ok.ws?.close()
  const api = await cluster.remote({ secret: 'an-api-with-the-wrong-secret-0123456789' })
  t.equal(await statusOf(api.createRoom(`visit-${randomUUID()}`)), 503, 'an API with the wrong secret cannot place a visit (503, no node reachable)')
  t.equal(node.server.rooms, 0, 'and nothing was created on the node')
})

t.test('malformed RPC messages are answered with errors; the node keeps serving', async (t) => {
  const cluster = nodeCluster(t)
  const node = await cluster.node('node-fuzz')
  const { ws } = await raw(node.server.port, { authorization: `Bearer ${NODE_SECRET}` })
  const replies: any[] = []
  ws!.on('message', (m) => replies.push(JSON.parse(m.toString())))
  const visitId = `visit-${randomUUID()}`
  const ref = { visitId, participantId: 'p1' }
  const long = 'x'.repeat(200)
  const cases: Array<string | Buffer> = [
    'not json', '', '{', '[]', 'null', '42', '"str"', '{}', JSON.stringify({ id: 'x', method: 'dump' }),
    JSON.stringify({ id: -1, method: 'dump' }), JSON.stringify({ id: 1.5, method: 'dump' }), JSON.stringify({ method: 'dump' }),
    JSON.stringify({ id: 1, method: 'nope' }), JSON.stringify({ id: 2, method: '__proto__' }), JSON.stringify({ id: 3, method: 'constructor' }),
    JSON.stringify({ id: 4, method: 'createRoom' }), JSON.stringify({ id: 5, method: 'createRoom', data: { visitId: '' } }),
    JSON.stringify({ id: 6, method: 'createRoom', data: { visitId: long } }), JSON.stringify({ id: 7, method: 'createRoom', data: { visitId, extra: 1 } }),
    JSON.stringify({ id: 8, method: 'addParticipant', data: { ref, client: { engine: 'other' } } }),
    JSON.stringify({ id: 9, method: 'connectTransport', data: { ref, transportId: 't', connect: { engine: 'werift', answer: 'garbage' } } }),
    JSON.stringify({ id: 10, method: 'createTransport', data: { ref, direction: 'sideways' } }),
    JSON.stringify({ id: 11, method: 'setPreferredLayers', data: { ref, consumerId: 'c', layers: { spatialLayer: -1 } } }),
    JSON.stringify({ id: 12, method: 'stats', data: { ref } }), // a room this connection never created: 404
    JSON.stringify({ id: 13, method: 'dump', data: [] }), JSON.stringify({ id: 14, method: 'dump', data: null, more: true }),
    Buffer.from([1, 2, 3])
  ]
  // Random JSON: shapes and values the schema must turn away.
  const methods = ['createRoom', 'produce', 'consume', 'closeParticipant', 'resumeConsumer', 'x']
  const junk = [null, 0, -1, 1e308, '', 'v=0', [], {}, { visitId: 1 }, { ref: 'a' }, { ref: { visitId: 1, participantId: [] } }, true]
  let seed = 7
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
  for (let i = 0; i < 300; i++) {
    cases.push(JSON.stringify({ id: 100 + i, method: methods[rnd(methods.length)], data: junk[rnd(junk.length)] }))
  }
  for (const c of cases) ws!.send(c, { binary: Buffer.isBuffer(c) })
  await waitFor('a reply to every message', () => replies.length >= cases.length, 10_000)
  const answers = replies
  t.equal(answers.length, cases.length, 'one reply per message')
  t.ok(answers.every((r) => r.ok === false && typeof r.error?.code === 'string' && typeof r.error?.statusCode === 'number'), 'every one an error reply')
  t.ok(answers.every((r) => r.error.statusCode < 500), 'none is an internal failure')
  t.equal(answers.find((r) => r.id === 12)?.error.statusCode, 404, 'a room of no concern to this connection is 404')
  t.equal(answers.find((r) => r.id === 9)?.error.statusCode, 400, 'a malformed SDP is refused by schema (400)')
  t.ok(answers.filter((r) => r.id === null).length >= 10, 'unreadable requests are answered with id null')
  const res = await fetch(`http://127.0.0.1:${node.server.port}/health`)
  t.equal(res.status, 200, 'the node is still healthy')
  ws!.send(JSON.stringify({ id: 999, method: 'createRoom', data: { visitId } }))
  await waitFor('a real request still works', () => replies.some((r) => r.id === 999 && r.ok === true))
  ws!.close()
  await waitFor('the room of a closed connection is closed', async () => (await node.engine.dump()).rooms === 0)
  t.pass('the node closes the rooms of a connection that went away')
})

/** Two nodes, one API; a visit with a publisher and a subscriber on whichever node it was placed. */
async function placedVisit (t: Test) {
  const cluster = nodeCluster(t)
  const nodes = [await cluster.node('node-a'), await cluster.node('node-b')]
  const api = await cluster.remote()
  const events: MediaEvent[] = []
  api.onEvent((e) => events.push(e))
  const visitId = `visit-${randomUUID()}`
  await api.createRoom(visitId)
  const host = nodes.find((n) => n.server.rooms === 1)!
  const other = nodes.find((n) => n !== host)!
  t.ok(host, 'the visit was placed on one node')
  await mediaFlows(t, api, visitId, 'media through the first node')
  t.equal(api.listProducers(visitId).length, 1, 'the API mirrors the producer')
  return { cluster, api, events, visitId, host, other }
}

/** Alice publishes a camera through the API, Bob subscribes: resolves once his consumer has received packets. */
async function mediaFlows (t: Test, api: MediaEngine, visitId: string, what: string): Promise<void> {
  const a = await joinNodeClient(api, { visitId, participantId: 'alice' })
  const b = await joinNodeClient(api, { visitId, participantId: 'bob' })
  t.teardown(async () => { await a.close(); await b.close() })
  const cam = await a.publish('video', 'camera')
  const sub = await b.subscribe(cam.producerId)
  await api.resumeConsumer(b.ref, sub.consumerId)
  await waitFor(what, async () => (await sub.received()) > 20)
}

/** After a loss: roomLost once, state forgotten, and the visit works again on the other node. */
async function recovers (t: Test, api: MediaEngine, events: MediaEvent[], visitId: string, other: TestNode): Promise<void> {
  await waitFor('roomLost', () => events.some((e) => e.type === 'roomLost' && e.visitId === visitId), 5000)
  t.pass('roomLost names the visit')
  t.same(api.listProducers(visitId), [], 'the lost room\'s producers are forgotten')
  t.equal(await statusOf(api.createTransport({ visitId, participantId: 'alice' }, 'send')), 404, 'calls for the lost room are refused until it is created again')
  await api.createRoom(visitId)
  t.equal(other.server.rooms, 1, 'the next createRoom lands on the other node')
  await mediaFlows(t, api, visitId, 'media through the other node')
  t.pass('media flows through the new node')
  t.equal(events.filter((e) => e.type === 'roomLost').length, 1, 'roomLost once')
  await api.closeRoom(visitId)
  t.equal(other.server.rooms, 0, 'closeRoom releases it on the node')
}

t.test('a node that dies (connections drop, no handover) loses its rooms; they go to the other node', async (t) => {
  const { api, events, visitId, host, other } = await placedVisit(t)
  await host.crash()
  await recovers(t, api, events, visitId, other)
})

t.test('a node whose heartbeat stops (server still up) has its visits moved by the registry', async (t) => {
  const { api, events, visitId, host, other } = await placedVisit(t)
  await host.registry.close({ graceful: false })
  await recovers(t, api, events, visitId, other)
  await waitFor('the old node was told to close the moved room', () => host.server.rooms === 0)
  t.pass('the node that missed its heartbeats forwards nothing for the moved visit')
})

t.test('a node that shuts down cleanly hands its visits over at once', async (t) => {
  const { api, events, visitId, host, other } = await placedVisit(t)
  const from = Date.now()
  await host.stop()
  await recovers(t, api, events, visitId, other)
  t.ok(Date.now() - from < 5000, 'without waiting for a TTL')
})

t.test('with many visits, only the dead node\'s are lost, each once, and all come back on the survivor', async (t) => {
  const cluster = nodeCluster(t)
  const nodes = [await cluster.node('node-a'), await cluster.node('node-b')]
  const api = await cluster.remote()
  const events: MediaEvent[] = []
  api.onEvent((e) => events.push(e))
  const visits = Array.from({ length: 12 }, () => `visit-${randomUUID()}`)
  await Promise.all(visits.map((v) => api.createRoom(v)))
  t.same(nodes.map((n) => n.server.rooms), [6, 6], 'spread evenly by the registry')
  const [dead, alive] = nodes as [TestNode, TestNode]
  await dead.crash()
  await waitFor('six roomLost', () => events.filter((e) => e.type === 'roomLost').length >= 6, 5000)
  const lost = events.filter((e) => e.type === 'roomLost').map((e) => e.visitId)
  t.equal(new Set(lost).size, 6, 'six distinct visits lost, each once')
  await Promise.all(visits.map((v) => api.createRoom(v)))
  t.equal(alive.server.rooms, 12, 'every visit now lives on the survivor')
  t.equal(events.filter((e) => e.type === 'roomLost').length, 6, 'the survivor\'s visits were never lost')
  await Promise.all(visits.map((v) => api.closeRoom(v)))
  t.equal(alive.server.rooms, 0)
})

t.test('a node that stops answering (frozen, or a cut path with TCP still open) is dropped by the API\'s pings', async (t) => {
  const cluster = nodeCluster(t)
  // A stand-in node that answers the RPC but never pongs: what a hung process looks like from the API.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false })
  t.teardown(() => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()) }))
  await new Promise((resolve) => wss.once('listening', resolve))
  let answering = true
  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ hello: { nodeId: 'frozen', engine: 'werift' } }))
    ws.on('message', (m) => {
      if (!answering) return
      const req = JSON.parse(m.toString())
      ws.send(JSON.stringify({ id: req.id, ok: true, result: req.method === 'createRoom' ? { engine: 'werift', codecs: { audio: [], video: [] } } : [] }))
    })
  })
  const reg = cluster.registry()
  await reg.register({ id: 'frozen', address: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, capacity: 10 })
  t.teardown(() => reg.close({ graceful: false }))
  const api = await cluster.remote()
  const events: MediaEvent[] = []
  api.onEvent((e) => events.push(e))
  const visitId = `visit-${randomUUID()}`
  await api.createRoom(visitId)
  answering = false
  const from = Date.now()
  await waitFor('roomLost from the ping timeout', () => events.some((e) => e.type === 'roomLost' && e.visitId === visitId), 5000)
  const ms = Date.now() - from
  t.ok(ms < 4 * timing.heartbeatMs, `lost ${ms} ms after the node went quiet (pings every ${timing.heartbeatMs} ms)`)
})

t.test('frames of the wrong shape from a node are dropped; the API keeps working with it', async (t) => {
  const cluster = nodeCluster(t)
  // A faulty stand-in node: garbage around every real frame. Before, `null` alone threw inside the API's socket handler.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()) }))
  await new Promise((resolve) => wss.once('listening', resolve))
  const junk = ['null', '7', '"x"', '[]', '{"hello":null}', '{"hello":{"nodeId":"faulty","engine":"other"}}', '{"event":null}', '{"event":{"type":"roomLost"}}']
  wss.on('connection', (ws) => {
    for (const j of junk) ws.send(j)
    ws.send(JSON.stringify({ hello: { nodeId: 'faulty', engine: 'werift' } }))
    ws.on('message', (m) => {
      const req = JSON.parse(m.toString())
      for (const j of junk) ws.send(j)
      ws.send(JSON.stringify({ id: req.id, ok: false }))
      ws.send(JSON.stringify({ id: req.id, ok: false, error: null }))
      ws.send(JSON.stringify({ id: req.id, ok: true, result: req.method === 'createRoom' ? { engine: 'werift', codecs: { audio: [], video: [] } } : [] }))
    })
  })
  const reg = cluster.registry()
  await reg.register({ id: 'faulty', address: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, capacity: 10 })
  t.teardown(() => reg.close({ graceful: false }))
  const api = await cluster.remote()
  const events: MediaEvent[] = []
  api.onEvent((e) => events.push(e))
  const visitId = `visit-${randomUUID()}`
  const caps = await api.createRoom(visitId)
  t.equal(caps.engine, 'werift')
  t.same(api.listProducers(visitId), [])
  t.same(events, [], 'no event from the malformed frames')
})

t.test('a node that upgrades but never says hello is given up on; the visit goes to a live node', async (t) => {
  const cluster = nodeCluster(t)
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()) }))
  await new Promise((resolve) => wss.once('listening', resolve))
  const reg = cluster.registry()
  // Both empty: the tie goes to the lower id, so the mute node is tried first.
  await reg.register({ id: 'a-mute', address: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, capacity: 1_000_000 })
  t.teardown(() => reg.close({ graceful: false }))
  const alive = await cluster.node('alive')
  const api = await cluster.remote({ callTimeoutMs: 500 })
  const visitId = `visit-${randomUUID()}`
  const from = Date.now()
  const caps = await api.createRoom(visitId)
  t.ok(caps, 'placed')
  t.ok(Date.now() - from < 3000, 'within about one call timeout')
  t.equal(alive.server.rooms, 1, 'on the node that answers')
})
