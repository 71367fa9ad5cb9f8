import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import type { Test } from 'tap'
import { createNodeRegistry, type NodeRegistry, type Reassignment } from '../../media/node-registry.js'
import { sleep, waitFor } from './helpers/client.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const timing = { heartbeatMs: 100, ttlMs: 400 }

/** Registries that share one store: same Redis prefix (one connection each, like separate processes) or one local map. */
function stores (t: Test): { name: string; make: () => NodeRegistry }[] {
  const prefix = `bds:test:media:${randomUUID()}:`
  const conns: Redis[] = []
  t.teardown(async () => {
    const admin = new Redis(REDIS_URL)
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
    admin.disconnect()
    for (const c of conns) c.disconnect()
  })
  return [{
    name: 'redis',
    make: () => { const redis = new Redis(REDIS_URL); conns.push(redis); return createNodeRegistry({ ...timing, redis, prefix }) }
  }]
}

async function placement (t: Test, make: () => NodeRegistry, shared: boolean): Promise<void> {
  const a = make()
  const b = shared ? make() : a
  t.teardown(async () => { await a.close({ graceful: false }); await b.close({ graceful: false }) })
  t.equal(await a.place('v0'), null, 'no live node: nothing to place on')
  await a.register({ id: 'node-a', address: 'a:1', capacity: 2 })
  await b.register({ id: 'node-b', address: 'b:1', capacity: 4 })
  const placed = []
  for (const v of ['v1', 'v2', 'v3', 'v4']) placed.push(await a.place(v))
  // loads by visits/capacity: a 0→.5, b 0→.25→.5, then the tie goes to the lower id.
  t.same(placed, ['node-a', 'node-b', 'node-b', 'node-a'], 'least loaded relative to capacity')
  t.equal(await b.place('v2'), 'node-b', 'placing again keeps the visit where it is')
  t.equal(await b.nodeOf('v3'), 'node-b')
  await a.release('v2')
  t.equal(await a.nodeOf('v2'), null, 'released')
  t.same((await a.liveNodes()).map((n) => [n.id, n.visits]), [['node-a', 2], ['node-b', 1]], 'liveNodes counts visits')
  t.equal(await b.place('v1', { avoid: ['node-a'] }), 'node-b', 'avoid moves a visit off a node the caller cannot reach')
  t.equal(await b.place('v9', { avoid: ['node-a', 'node-b'] }), null, 'nothing left to choose: unplaced')
}

async function failover (t: Test, make: () => NodeRegistry): Promise<void> {
  const a = make()
  const b = make()
  const api = make()
  t.teardown(async () => { await b.close({ graceful: false }); await api.close() })
  await a.register({ id: 'node-a', address: 'a:1', capacity: 10 })
  await b.register({ id: 'node-b', address: 'b:1', capacity: 10 })
  for (const v of ['v1', 'v2', 'v3', 'v4']) await api.place(v)
  const onA = []
  for (const v of ['v1', 'v2', 'v3', 'v4']) if ((await api.nodeOf(v)) === 'node-a') onA.push(v)
  t.ok(onA.length >= 1, `some visits on node-a (${onA.length})`)
  const heard: Reassignment[] = []
  await api.onReassigned((r) => heard.push(r))
  await a.close({ graceful: false }) // a crash: no goodbye, the entry just stops being renewed
  await waitFor('visits of the dead node reassigned', async () => heard.length === onA.length, 5000)
  t.same(heard.map((r) => r.visitId).sort(), onA.sort(), 'every visit of the dead node is reported')
  t.ok(heard.every((r) => r.from === 'node-a' && r.to === 'node-b'), 'moved from node-a to node-b')
  for (const v of onA) t.equal(await api.nodeOf(v), 'node-b', `${v} now on node-b`)
  t.same((await api.liveNodes()).map((n) => n.id), ['node-b'], 'the dead node is no longer live')
  await sleep(300)
  t.equal(heard.length, onA.length, 'reported once, though every node sweeps')
}

async function graceful (t: Test, make: () => NodeRegistry): Promise<void> {
  const a = make()
  const b = make()
  t.teardown(() => b.close({ graceful: false }))
  await a.register({ id: 'node-a', address: 'a:1', capacity: 1 })
  t.equal(await a.place('solo'), 'node-a')
  await b.register({ id: 'node-b', address: 'b:1', capacity: 1 })
  await a.close()
  t.equal(await b.nodeOf('solo'), 'node-b', 'a clean shutdown hands its visits over at once')
  await b.close()
  t.equal(await b.nodeOf('solo'), null, 'with no node left the visit is unplaced, to be placed again later')
}

t.test('local registry (no Redis)', async (t) => {
  const local = createNodeRegistry(timing)
  await placement(t, () => local, false)
})

t.test('local registry moves the visits of a node whose heartbeat expired', async (t) => {
  const local = createNodeRegistry(timing)
  await local.register({ id: 'old', address: 'x', capacity: 1 })
  t.equal(await local.place('v'), 'old')
  await local.close({ graceful: false }) // heartbeats stop, the entry stays until its TTL
  const heard: Reassignment[] = []
  await local.onReassigned((r) => heard.push(r))
  await local.register({ id: 'new', address: 'y', capacity: 1 })
  t.teardown(() => local.close())
  t.same(await local.sweep(), [], 'nothing moves while the TTL runs')
  await waitFor('expiry sweep', () => heard.length === 1, 3000)
  t.same(heard, [{ visitId: 'v', from: 'old', to: 'new' }])
  t.equal(await local.nodeOf('v'), 'new')
})

for (const kind of ['placement', 'failover', 'graceful'] as const) {
  t.test(`redis registry: ${kind}`, async (t) => {
    const [store] = stores(t)
    if (kind === 'placement') await placement(t, store!.make, true)
    if (kind === 'failover') await failover(t, store!.make)
    if (kind === 'graceful') await graceful(t, store!.make)
  })
}
