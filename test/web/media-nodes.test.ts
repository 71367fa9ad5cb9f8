import { existsSync } from 'node:fs'
import t from 'tap'
import { NODE_SECRET, nodeCluster, REDIS_URL, timing } from '../media/helpers/nodes.js'
import { exclusiveBrowsers, flowing, freshFlow, mediaCounters, until } from './helpers.js'
import { admit, goWaiting, toWaitingRoom } from './visit-flow.js'

const haveChromium = existsSync('/usr/bin/chromium')

t.test('killing the media node of a visit: both browsers rebuild on the other node and decode again, no new admission', {
  skip: !haveChromium && 'no chromium', timeout: 180_000
}, async (t) => {
  await exclusiveBrowsers(t)
  // Two media nodes in this process, each its own werift engine and WebSocket server, registered under this test's prefix.
  const cluster = nodeCluster(t)
  const nodes = [await cluster.node('node-a'), await cluster.node('node-b')]
  const v = await toWaitingRoom(t, {
    settings: {
      MEDIA_NODES: 'remote', REDIS_URL, MEDIA_NODE_SECRET: NODE_SECRET, MEDIA_NODE_REGISTRY_PREFIX: cluster.prefix,
      MEDIA_NODE_HEARTBEAT_MS: String(timing.heartbeatMs), MEDIA_NODE_TTL_MS: String(timing.ttlMs)
    }
  })
  const { patient, provider } = v
  await goWaiting(v)
  await admit(v)
  for (const b of [patient, provider]) {
    await until(() => mediaCounters(b.page), (c) => c.framesDecoded > 0 && c.samplesReceived > 0, 20_000)
  }
  const host = nodes.find((n) => n.server.rooms === 1)!
  const other = nodes.find((n) => n !== host)!
  t.ok(host, `the visit's media is on ${host.id}`)

  const oldP = new Set(Object.keys((await mediaCounters(patient.page)).tracks))
  const oldD = new Set(Object.keys((await mediaCounters(provider.page)).tracks))
  const from = Date.now()
  await host.crash()

  const done = { p: false, d: false }
  while (Date.now() - from < 30_000 && !(done.p && done.d)) {
    const [p, d] = await Promise.all([done.p || freshFlow(patient.page, oldP, 1000), done.d || freshFlow(provider.page, oldD, 1000)])
    done.p = p; done.d = d
  }
  const secs = (Date.now() - from) / 1000
  t.ok(done.p && done.d, `video and audio on new tracks both ways ${secs.toFixed(1)} s after the node died`)
  const both = [await flowing(patient.page), await flowing(provider.page)]
  t.ok(both.every((f) => f.ok && f.after.framesDecoded > f.before.framesDecoded),
    `inbound-rtp framesDecoded growing on both sides: patient ${both[0]!.before.framesDecoded} -> ${both[0]!.after.framesDecoded}, provider ${both[1]!.before.framesDecoded} -> ${both[1]!.after.framesDecoded}`)
  t.equal(other.server.rooms, 1, `the visit's media now lives on ${other.id}`)
  const marks = await patient.page.evaluate((t0) => performance.getEntriesByType('mark')
    .filter((m) => m.name.startsWith('bedside:') && performance.timeOrigin + m.startTime >= t0)
    .map((m) => `${m.name.slice(14)} +${Math.round(performance.timeOrigin + m.startTime - t0)}ms`), from)
  t.comment(`patient rebuild after the node died: ${marks.join(', ')}`)

  for (const b of [patient, provider]) t.equal(await b.page.getByRole('heading', { name: 'Video visit' }).count(), 1, 'still in the visit')
  const admits = await v.app.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'visit.admit'`).then((r) => r.rows[0].n as number)
  t.equal(admits, 1, 'admitted once, never again')
  t.equal(await provider.page.locator('.queue-entry').count(), 0, 'nobody back in the queue')
  const errors = [...patient.problems, ...provider.problems].filter((p) => !/favicon/.test(p))
  t.same(errors, [], 'no page errors')
})
