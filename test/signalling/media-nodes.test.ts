import t from 'tap'
import { NODE_SECRET, nodeCluster, REDIS_URL, timing } from '../media/helpers/nodes.js'
import { cast, joinAs, signallingApp } from './helpers.js'
import { mediaOver, until } from './media-client.js'

/** The API with MEDIA_NODES=remote over the test's own registry prefix. */
const remoteSettings = (prefix: string): Record<string, string> => ({
  MEDIA_NODES: 'remote', REDIS_URL, MEDIA_NODE_SECRET: NODE_SECRET, MEDIA_NODE_REGISTRY_PREFIX: prefix,
  MEDIA_NODE_HEARTBEAT_MS: String(timing.heartbeatMs), MEDIA_NODE_TTL_MS: String(timing.ttlMs)
})

t.test('MEDIA_NODES=remote without REDIS_URL or MEDIA_NODE_SECRET stops the API at start', async (t) => {
  await t.rejects(signallingApp(t, { MEDIA_NODES: 'remote' }), /MEDIA_NODES=remote needs REDIS_URL[\s\S]*MEDIA_NODE_SECRET/)
})

t.test('a visit survives the loss of its media node: mediaRestart, media rebuilt on the other node, no new admission', { timeout: 90_000 }, async (t) => {
  const cluster = nodeCluster(t)
  const nodes = [await cluster.node('node-a'), await cluster.node('node-b')]
  const { app, url } = await signallingApp(t, remoteSettings(cluster.prefix))
  const { patient, provider, appointmentId } = await cast(app)
  const prov = await joinAs(url, app, provider, appointmentId)
  t.teardown(() => prov.c.close())
  const pat = await joinAs(url, app, patient, appointmentId)
  t.teardown(() => pat.c.close())
  const q = await prov.c.next('queue', (d) => d.entries.length === 1)
  await prov.c.call('admit', { participantId: q.entries[0].participantId })
  await pat.c.next('admitted')

  const provMedia = mediaOver(prov.c)
  const patMedia = mediaOver(pat.c)
  t.teardown(async () => { await provMedia.close(); await patMedia.close() })
  await provMedia.start()
  await patMedia.start()
  const host = nodes.find((n) => n.server.rooms === 1)
  const other = nodes.find((n) => n !== host)!
  t.ok(host, 'the visit\'s media was placed on one node')
  const patCam = await patMedia.publish('video')
  const provCam = await provMedia.publish('video')
  const toProv = await provMedia.subscribe(patCam)
  const toPat = await patMedia.subscribe(provCam)
  await until('video both ways through the first node', () => toProv.packets() > 20 && toPat.packets() > 20)

  await host!.crash()
  const [provRestart, patRestart] = await Promise.all([prov.c.next('mediaRestart', () => true, 10_000), pat.c.next('mediaRestart', () => true, 10_000)])
  t.equal(provRestart.capabilities.engine, 'werift', 'the provider is told to rebuild, with the new room\'s capabilities')
  t.same(patRestart, provRestart, 'and so is the patient')
  t.equal(other.server.rooms, 1, 'the visit\'s media now lives on the other node')

  // Both rebuild at once, as browsers do: transports, publish, then subscribe to what the other published.
  await Promise.all([provMedia.reset(), patMedia.reset()])
  await Promise.all([provMedia.start(), patMedia.start()])
  const [patCam2, provCam2] = await Promise.all([patMedia.publish('video'), provMedia.publish('video')])
  await prov.c.next('newProducer', (d) => d.producer.producerId === patCam2)
  await pat.c.next('newProducer', (d) => d.producer.producerId === provCam2)
  const [toProv2, toPat2] = await Promise.all([provMedia.subscribe(patCam2), patMedia.subscribe(provCam2)])
  await until('video both ways through the other node', () => toProv2.packets() > 20 && toPat2.packets() > 20, 15_000)
  t.pass('media flows both ways again')

  const r = await prov.c.call('ping', {})
  t.ok(r.now, 'the provider\'s socket never dropped')
  t.notOk(prov.c.has('participantLeft') || pat.c.has('participantLeft'), 'nobody left the visit')
  const admits = await app.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'visit.admit'`)
  t.equal(admits.rows[0].n, 1, 'admitted once, never again')

  await prov.c.call('endVisit', {})
  await until('the room is closed on the node', () => other.server.rooms === 0)
  t.pass('ending the visit closes its room on the node')
})
