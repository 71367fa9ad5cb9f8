import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import type { MediaEngine, MediaEngineConfig } from '../../../media/engine.js'
import { createNodeRegistry, type NodeRegistry } from '../../../media/node-registry.js'
import { serveMediaNode, type NodeServer } from '../../../media/node-server.js'
import { createRemoteEngine } from '../../../media/remote-engine.js'
import { createWeriftEngine } from '../../../media/werift/engine.js'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
export const NODE_SECRET = 'media-node-test-secret-0123456789abcdef'
export const timing = { heartbeatMs: 200, ttlMs: 800 }
export const silent = { info () {}, warn () {} }

const weriftConfig: MediaEngineConfig = {
  engine: 'werift', listenIp: '127.0.0.1', rtcMinPort: 20000, rtcMaxPort: 59999, iceServers: [],
  workers: 1, maxIncomingBitrate: 1_500_000, initialOutgoingBitrate: 600_000
}

/** One Redis key prefix per test; every registry made from it shares the store, as separate processes would. */
export function nodeCluster (t: Test) {
  const prefix = `bds:test:nodes:${randomUUID()}:`
  const conns: Redis[] = []
  const closers: Array<() => Promise<void>> = []
  t.teardown(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
    const admin = new Redis(REDIS_URL)
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
    admin.disconnect()
    for (const c of conns) c.disconnect()
  })
  const registry = (): NodeRegistry => {
    const redis = new Redis(REDIS_URL)
    conns.push(redis)
    return createNodeRegistry({ ...timing, redis, prefix })
  }
  return {
    prefix,
    registry,
    /** A media node: a werift engine served on loopback and registered with its address. */
    async node (id: string, o: { capacity?: number; secret?: string } = {}): Promise<TestNode> {
      const engine = createWeriftEngine(weriftConfig, silent)
      const server = await serveMediaNode({ engine, secret: o.secret ?? NODE_SECRET, nodeId: id, host: '127.0.0.1', port: 0, log: silent })
      const reg = registry()
      await reg.register({ id, address: `ws://127.0.0.1:${server.port}`, capacity: o.capacity ?? 10 })
      let stopped = false
      const node: TestNode = {
        id, engine, server, registry: reg,
        async crash () {
          if (stopped) return
          stopped = true
          // No goodbye: heartbeats stop, connections drop, the registry entry expires on its own.
          await reg.close({ graceful: false })
          await server.close()
          await engine.close()
        },
        async stop () {
          if (stopped) return
          stopped = true
          await reg.close()
          await server.close()
          await engine.close()
        }
      }
      closers.push(() => node.crash())
      return node
    },
    /** The API side: a remote engine over its own registry connection. */
    async remote (o: { secret?: string; callTimeoutMs?: number } = {}): Promise<MediaEngine> {
      const reg = registry()
      closers.push(() => reg.close())
      const engine = await createRemoteEngine({
        registry: reg, secret: o.secret ?? NODE_SECRET, log: silent, pingMs: timing.heartbeatMs, suspectMs: timing.ttlMs, callTimeoutMs: o.callTimeoutMs
      })
      closers.push(() => engine.close())
      return engine
    }
  }
}

export interface TestNode {
  id: string
  engine: MediaEngine
  server: NodeServer
  registry: NodeRegistry
  /** Dies without handing over. */
  crash (): Promise<void>
  /** SIGTERM-style: hands its visits over, then closes. */
  stop (): Promise<void>
}
