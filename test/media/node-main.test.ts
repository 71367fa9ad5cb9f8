import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import type { MediaEvent } from '../../media/engine.js'
import { connectMediaNodes } from '../../media/remote-setup.js'
import { waitFor } from './helpers/client.js'
import { NODE_SECRET, REDIS_URL, silent } from './helpers/nodes.js'

/** media/main.ts as an operator starts it: its own process, configured by environment. */
function startNode (env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'media/main.ts'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', MEDIA_ENGINE: 'werift', MEDIA_LISTEN_IP: '127.0.0.1', MEDIA_NODE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += String(d) })
  child.stderr.on('data', (d) => { err += String(d) })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, out: () => out, err: () => err }
}

t.test('without REDIS_URL or MEDIA_NODE_SECRET a media node stops at start, naming both', async (t) => {
  const n = startNode({})
  t.equal(await n.exited, 78, 'exit code EX_CONFIG')
  t.match(n.err(), /needs REDIS_URL/)
  t.match(n.err(), /needs MEDIA_NODE_SECRET/)
})

t.test('a media node process registers, serves a visit and hands it over on SIGTERM', { timeout: 60_000 }, async (t) => {
  const id = `test-node-${randomUUID().slice(0, 8)}`
  const prefix = `bds:test:main:${randomUUID()}:`
  // NODE_ENV=production as in the image: the API's production checks (TLS, database, keys) do not apply to a node.
  const n = startNode({ NODE_ENV: 'production', REDIS_URL, MEDIA_NODE_REGISTRY_PREFIX: prefix, MEDIA_NODE_SECRET: NODE_SECRET, MEDIA_NODE_ID: id, MEDIA_NODE_HEARTBEAT_MS: '200', MEDIA_NODE_TTL_MS: '800' })
  t.teardown(() => { if (n.child.exitCode === null) n.child.kill('SIGKILL') })
  await waitFor('the node registers', () => n.out().includes('media node registered'), 30_000)
  const line = JSON.parse(n.out().split('\n').find((l) => l.includes('media node registered'))!)
  t.match(line, { nodeId: id, engine: 'werift', address: /^ws:\/\/127\.0\.0\.1:\d+$/ }, 'logs its id, address and engine')
  const redis = new Redis(REDIS_URL)
  t.teardown(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })
  t.ok(await redis.exists(`${prefix}node:${id}`), 'its heartbeat entry is in Redis')
  const health = await fetch(line.address.replace('ws:', 'http:') + '/health')
  t.match(await health.json(), { status: 'ok', nodeId: id }, 'GET /health answers')

  const api = await connectMediaNodes({ redisUrl: REDIS_URL, secret: NODE_SECRET, heartbeatMs: 200, ttlMs: 800, prefix }, silent)
  t.teardown(() => api.close())
  const events: MediaEvent[] = []
  api.onEvent((e) => events.push(e))
  const visitId = `visit-${randomUUID()}`
  const caps = await api.createRoom(visitId)
  t.equal(caps.engine, 'werift', 'the API created the room on the node')
  t.equal(await redis.get(`${prefix}visit:${visitId}`), id, 'the registry placed the visit on it')

  n.child.kill('SIGTERM')
  t.equal(await n.exited, 0, 'SIGTERM: clean exit')
  await waitFor('roomLost', () => events.some((e) => e.type === 'roomLost' && e.visitId === visitId), 5000)
  t.pass('the API heard the visit lost its node')
  t.equal(await redis.exists(`${prefix}node:${id}`), 0, 'the node left the registry')
  t.equal(await redis.get(`${prefix}visit:${visitId}`), null, 'and its visit is unplaced until a node takes it')
  t.notMatch(n.out() + n.err(), NODE_SECRET, 'the secret is never printed')
})
