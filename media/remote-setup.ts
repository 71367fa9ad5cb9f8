import { Redis } from 'ioredis'
import type { EngineKind, EngineLogger, MediaEngine } from './engine.js'
import { createNodeRegistry } from './node-registry.js'
import { createRemoteEngine } from './remote-engine.js'

export interface RemoteMediaSettings {
  redisUrl: string
  secret: string
  heartbeatMs: number
  ttlMs: number
  /** MEDIA_ENGINE when not auto: what `kind` says before a node answers. */
  kind?: EngineKind
  /** Redis key prefix (tests use one per test). */
  prefix?: string
}

/**
 * The API's side of MEDIA_NODES=remote: its own Redis connection and registry
 * view, and the remote engine over them. Closing the engine closes both.
 */
export async function connectMediaNodes (s: RemoteMediaSettings, log: EngineLogger): Promise<MediaEngine> {
  const redis = new Redis(s.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
  await redis.connect()
  const registry = createNodeRegistry({ heartbeatMs: s.heartbeatMs, ttlMs: s.ttlMs, redis, prefix: s.prefix })
  let engine: MediaEngine
  try {
    engine = await createRemoteEngine({ registry, secret: s.secret, log, kind: s.kind, pingMs: s.heartbeatMs, suspectMs: s.ttlMs })
  } catch (err) {
    redis.disconnect()
    throw err
  }
  log.info({ media: 'remote' }, 'media engine: media nodes from the Redis registry (MEDIA_NODES=remote)')
  const close = engine.close.bind(engine)
  return Object.assign(engine, {
    async close () {
      await close()
      await registry.close()
      redis.disconnect()
    }
  })
}
