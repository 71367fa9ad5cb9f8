import type { Redis } from 'ioredis'
import { createRedisNodeRegistry } from './node-registry-redis.js'

/**
 * Where each visit's media lives. Media nodes register and heartbeat; a visit
 * goes to the least-loaded live node (visits / capacity) and stays there; when
 * a node stops heartbeating its visits move to live nodes and listeners hear
 * about it (signalling then rebuilds those visits' media on the new node).
 */
export interface MediaNode { id: string; /** How signalling reaches the node (URL or host:port). */ address: string; capacity: number }
export interface Reassignment { visitId: string; from: string; /** null: no live node left; place() it again later. */ to: string | null }

export interface NodeRegistry {
  /** Registers this process's media node and heartbeats it until close(). */
  register (node: MediaNode): Promise<void>
  /**
   * The visit's node, choosing the least-loaded live one if it has none or its node died.
   * `avoid`: nodes the caller cannot reach though they still heartbeat (a crash the TTL has not caught yet).
   */
  place (visitId: string, opts?: { avoid?: string[] }): Promise<string | null>
  nodeOf (visitId: string): Promise<string | null>
  release (visitId: string): Promise<void>
  liveNodes (): Promise<(MediaNode & { visits: number })[]>
  /** Moves visits off nodes whose heartbeat expired. Runs on every heartbeat too. */
  sweep (): Promise<Reassignment[]>
  /** Resolves once listening (with Redis: subscribed); returns the unsubscribe function. */
  onReassigned (listener: (r: Reassignment) => void): Promise<() => void>
  /** graceful=false stops heartbeats but leaves the entry to expire, as a crash would. */
  close (opts?: { graceful?: boolean }): Promise<void>
}

export interface NodeRegistryOptions {
  heartbeatMs: number
  ttlMs: number
  /** With Redis: shared by every API and media process. Without: this process only. */
  redis?: Redis
  /** Redis key prefix; tests use one per test. */
  prefix?: string
}

export function createNodeRegistry (o: NodeRegistryOptions): NodeRegistry {
  return o.redis ? createRedisNodeRegistry(o.redis, o.prefix ?? 'bds:media:', o) : createLocalNodeRegistry(o)
}

export function createLocalNodeRegistry (o: { heartbeatMs: number; ttlMs: number }): NodeRegistry {
  const nodes = new Map<string, MediaNode & { expires: number; visits: Set<string> }>()
  const visits = new Map<string, string>()
  const listeners = new Set<(r: Reassignment) => void>()
  let mine: string | undefined
  let timer: NodeJS.Timeout | undefined
  const alive = (id: string): boolean => (nodes.get(id)?.expires ?? 0) > Date.now()

  const choose = (avoid: string[] = []): string | null => {
    let best: string | null = null
    let bestLoad = Infinity
    for (const n of nodes.values()) {
      if (!alive(n.id) || avoid.includes(n.id)) continue
      const load = n.visits.size / n.capacity
      if (load < bestLoad || (load === bestLoad && best !== null && n.id < best)) { best = n.id; bestLoad = load }
    }
    return best
  }
  const assign = (visitId: string, to: string | null): void => {
    const from = visits.get(visitId)
    if (from) nodes.get(from)?.visits.delete(visitId)
    if (to === null) { visits.delete(visitId); return }
    visits.set(visitId, to)
    nodes.get(to)!.visits.add(visitId)
  }
  const reg: NodeRegistry = {
    async register (node) {
      mine = node.id
      const beat = (): void => {
        const cur = nodes.get(node.id)
        nodes.set(node.id, { ...node, expires: Date.now() + o.ttlMs, visits: cur?.visits ?? new Set() })
      }
      beat()
      timer = setInterval(() => { beat(); void reg.sweep() }, o.heartbeatMs)
      timer.unref()
    },
    async place (visitId, opts) {
      const avoid = opts?.avoid ?? []
      const cur = visits.get(visitId)
      if (cur && alive(cur) && !avoid.includes(cur)) return cur
      const to = choose(avoid)
      assign(visitId, to)
      return to
    },
    async nodeOf (visitId) { return visits.get(visitId) ?? null },
    async release (visitId) { assign(visitId, null) },
    async liveNodes () {
      return [...nodes.values()].filter((n) => alive(n.id))
        .map(({ id, address, capacity, visits: v }) => ({ id, address, capacity, visits: v.size }))
    },
    async sweep () {
      const moved: Reassignment[] = []
      for (const n of [...nodes.values()]) {
        if (alive(n.id)) continue
        for (const visitId of [...n.visits]) {
          const to = choose()
          assign(visitId, to)
          moved.push({ visitId, from: n.id, to })
        }
        nodes.delete(n.id)
      }
      for (const r of moved) for (const l of listeners) l(r)
      return moved
    },
    async onReassigned (l) { listeners.add(l); return () => { listeners.delete(l) } },
    async close (opts) {
      if (timer) clearInterval(timer)
      const node = mine ? nodes.get(mine) : undefined
      // A clean shutdown hands its visits over now instead of after the TTL.
      if (node && opts?.graceful !== false) { node.expires = 0; await reg.sweep() }
      listeners.clear()
    }
  }
  return reg
}
