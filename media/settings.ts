import { hostname } from 'node:os'
import type { Config } from '../config/load.js'

/**
 * What stops a process that runs or uses media nodes, named by setting (the
 * turn/settings.ts pattern): the node process checks `node`, an API with
 * MEDIA_NODES=remote checks `api` when it builds signalling, so both fail at
 * start rather than at the first visit.
 */
export function mediaNodeProblems (config: Config, role: 'api' | 'node'): string[] {
  const problems: string[] = []
  const who = role === 'node' ? 'A media node (media/main.ts)' : 'MEDIA_NODES=remote'
  if (role === 'api' && config.media.nodes !== 'remote') return problems
  if (config.stores.redisUrl === undefined) {
    problems.push(`${who} needs REDIS_URL: media nodes register there and the API finds them there`)
  }
  if (config.media.nodeSecret === undefined) {
    problems.push(`${who} needs MEDIA_NODE_SECRET (at least 32 characters, the same on the API and every media node)`)
  }
  return problems
}

/** This node's name in the registry. */
export function mediaNodeId (config: Config): string {
  return config.media.nodeId ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-')}-${process.pid}`
}

/** Where API processes reach this node; MEDIA_NODE_ADDRESS when set. */
export function mediaNodeAddress (config: Config, port: number): string {
  if (config.media.nodeAddress) return config.media.nodeAddress
  const ip = config.media.listenIp
  const host = ip === '0.0.0.0' || ip === '::' ? hostname() : ip
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}`
}
