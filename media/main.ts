import { Redis } from 'ioredis'
import { pino } from 'pino'
import { ConfigError, loadConfig } from '../config/load.js'
import { loggerOptions } from '../core/logger.js'
import { createMediaEngine } from './engine.js'
import { createNodeRegistry } from './node-registry.js'
import { serveMediaNode } from './node-server.js'
import { mediaNodeAddress, mediaNodeId, mediaNodeProblems } from './settings.js'

/**
 * A media node as its own process (the API runs with MEDIA_NODES=remote):
 * `node --import tsx media/main.ts`. Same configuration as the API; it needs
 * REDIS_URL and MEDIA_NODE_SECRET. SIGTERM hands its visits over first.
 */
async function main (): Promise<void> {
  // A media node holds no PHI, tokens or database: its own rules (mediaNodeProblems), not the API's.
  const config = loadConfig({ role: 'media-node' })
  const problems = mediaNodeProblems(config, 'node')
  if (problems.length > 0) throw new ConfigError(problems)
  const log = pino(loggerOptions(config.server.logLevel, { base: { process: 'media-node' } }))
  const id = mediaNodeId(config)
  const redis = new Redis(config.stores.redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 2 })
  await redis.connect()
  const engine = await createMediaEngine(config.media, log)
  const server = await serveMediaNode({
    engine, secret: config.media.nodeSecret!, nodeId: id, host: config.media.listenIp, port: config.media.nodePort, log
  })
  const registry = createNodeRegistry({ heartbeatMs: config.media.nodeHeartbeatMs, ttlMs: config.media.nodeTtlMs, redis, prefix: config.media.nodeRegistryPrefix })
  const address = mediaNodeAddress(config, server.port)
  await registry.register({ id, address, capacity: config.media.nodeCapacity })
  log.info({ nodeId: id, address, engine: engine.kind, capacity: config.media.nodeCapacity }, 'media node registered')

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal, rooms: server.rooms }, 'media node shutting down; handing its visits over')
    // Leave the registry first: its visits move now and the API rebuilds them elsewhere before this node goes quiet.
    registry.close({ graceful: true })
      .then(() => server.close())
      .then(() => engine.close())
      .then(() => { redis.disconnect(); process.exit(0) }, (err: unknown) => {
        log.warn({ err: (err as Error).name }, 'media node shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? `Media node cannot start.\n${err.message}` : `media node failed to start: ${(err as Error).message}`}\n`)
  process.exit(err instanceof ConfigError ? 78 : 1)
})
