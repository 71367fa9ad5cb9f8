import type {
  EngineDump, EngineKind, EngineLogger, MediaEngine, MediaEvent, ProducerInfo, RoomCapabilities
} from './engine.js'
import { MediaEngineUnavailable, MediaRoomNotFound } from './errors.js'
import { connectNode, type NodeConnection } from './node-connection.js'
import type { NodeRegistry } from './node-registry.js'

export interface RemoteEngineOptions {
  registry: NodeRegistry
  /** MEDIA_NODE_SECRET, the same on every node. */
  secret: string
  log: EngineLogger
  /** What `kind` says before any node has answered (MEDIA_ENGINE when not auto). */
  kind?: EngineKind
  callTimeoutMs?: number
  /** Ping interval towards nodes (MEDIA_NODE_HEARTBEAT_MS). */
  pingMs?: number
  /** How long a node we lost the connection to is avoided though it may still heartbeat (MEDIA_NODE_TTL_MS). */
  suspectMs?: number
}

const PLACE_ATTEMPTS = 5

interface Placed {
  nodeId: string
  conn: NodeConnection
  caps: RoomCapabilities
  /** listProducers is synchronous: a mirror kept from produce replies, producerClosed events and closes. */
  producers: Map<string, ProducerInfo>
}

/**
 * The MediaEngine an API process uses when media runs on nodes
 * (MEDIA_NODES=remote). createRoom places the visit with the registry; every
 * later call for the visit goes to that node's connection. When the
 * connection drops or the registry moves the visit, the room is forgotten
 * and `roomLost` is emitted: signalling calls createRoom again (placed on a
 * live node) and has its participants rebuild their media there.
 */
export async function createRemoteEngine (o: RemoteEngineOptions): Promise<MediaEngine> {
  const { registry, log } = o
  const callTimeoutMs = o.callTimeoutMs ?? 20_000
  const pingMs = o.pingMs ?? 2000
  const suspectMs = o.suspectMs ?? 6000
  const listeners = new Set<(e: MediaEvent) => void>()
  const visits = new Map<string, Placed>()
  const placing = new Map<string, Promise<RoomCapabilities>>()
  const conns = new Map<string, Promise<NodeConnection>>()
  const suspects = new Map<string, number>()
  let kind: EngineKind = o.kind ?? 'werift'
  let closed = false

  const emit = (e: MediaEvent): void => { for (const l of listeners) l(e) }

  const lose = (visitId: string, why: string): void => {
    const v = visits.get(visitId)
    if (!v) return
    visits.delete(visitId)
    log.warn({ visitId, nodeId: v.nodeId, why }, 'media room lost; it will be placed again')
    // A node that still answers (a missed heartbeat) must not keep forwarding for a visit that moved.
    if (v.conn.open) v.conn.call('closeRoom', { visitId }).catch(() => undefined)
    emit({ type: 'roomLost', visitId })
  }

  const onNodeEvent = (nodeId: string, e: MediaEvent): void => {
    const v = visits.get(e.visitId)
    if (!v || v.nodeId !== nodeId) return
    if (e.type === 'producerClosed') v.producers.delete(e.producerId)
    emit(e)
  }

  const connection = (nodeId: string): Promise<NodeConnection> => {
    let c = conns.get(nodeId)
    if (c) return c
    c = (async () => {
      const node = (await registry.liveNodes()).find((n) => n.id === nodeId)
      if (!node) throw new MediaEngineUnavailable(`media node ${nodeId} is not live`)
      const conn = await connectNode({
        nodeId, address: node.address, secret: o.secret, callTimeoutMs, pingMs,
        onEvent: (e) => onNodeEvent(nodeId, e),
        onClose: (expected) => {
          conns.delete(nodeId)
          if (expected || closed) return
          suspects.set(nodeId, Date.now() + suspectMs)
          for (const [visitId, v] of visits) if (v.nodeId === nodeId) lose(visitId, 'node connection lost')
        }
      })
      kind = conn.engine
      return conn
    })()
    conns.set(nodeId, c)
    c.catch(() => { if (conns.get(nodeId) === c) conns.delete(nodeId) })
    return c
  }

  const avoid = (): string[] => {
    const now = Date.now()
    for (const [id, until] of suspects) if (until <= now) suspects.delete(id)
    return [...suspects.keys()]
  }

  const place = async (visitId: string): Promise<RoomCapabilities> => {
    // Each failed node is avoided from then on; a bound too, as avoidance expires while slow connects time out.
    for (let attempt = 1; ; attempt++) {
      const nodeId = attempt > PLACE_ATTEMPTS ? null : await registry.place(visitId, { avoid: avoid() })
      if (nodeId === null) throw new MediaEngineUnavailable('no live media node')
      let conn: NodeConnection
      try {
        conn = await connection(nodeId)
      } catch (err) {
        log.warn({ nodeId, err: (err as Error).message }, 'media node unreachable; placing elsewhere')
        suspects.set(nodeId, Date.now() + suspectMs)
        continue
      }
      const caps = await conn.call('createRoom', { visitId }) as RoomCapabilities
      const existing = await conn.call('listProducers', { visitId }) as ProducerInfo[]
      if (closed) throw new MediaEngineUnavailable('media engine closed')
      visits.set(visitId, { nodeId, conn, caps, producers: new Map(existing.map((p) => [p.producerId, p])) })
      return caps
    }
  }

  const unsubscribe = await registry.onReassigned((r) => {
    const v = visits.get(r.visitId)
    if (v && v.nodeId === r.from) lose(r.visitId, 'node expired in the registry')
  })

  const route = (visitId: string): Placed => {
    const v = visits.get(visitId)
    if (!v) throw new MediaRoomNotFound(visitId)
    return v
  }

  const engine: MediaEngine = {
    get kind () { return kind },
    async createRoom (visitId) {
      if (closed) throw new MediaEngineUnavailable('media engine closed')
      const v = visits.get(visitId)
      if (v) return v.caps
      let p = placing.get(visitId)
      if (!p) {
        p = place(visitId).finally(() => placing.delete(visitId))
        placing.set(visitId, p)
      }
      return p
    },
    async closeRoom (visitId) {
      const v = visits.get(visitId)
      visits.delete(visitId)
      try {
        if (v?.conn.open) await v.conn.call('closeRoom', { visitId })
      } finally {
        await registry.release(visitId)
      }
    },
    async addParticipant (ref, client) { await route(ref.visitId).conn.call('addParticipant', { ref, client }) },
    async closeParticipant (ref) {
      const v = route(ref.visitId)
      await v.conn.call('closeParticipant', { ref })
      for (const [id, p] of v.producers) if (p.participantId === ref.participantId) v.producers.delete(id)
    },
    async createTransport (ref, direction) { return route(ref.visitId).conn.call('createTransport', { ref, direction }) },
    async connectTransport (ref, transportId, connect) { await route(ref.visitId).conn.call('connectTransport', { ref, transportId, connect }) },
    async produce (ref, transportId, req) {
      const v = route(ref.visitId)
      const r = await v.conn.call('produce', { ref, transportId, req }) as { producerId: string; answer: never; info: ProducerInfo | null }
      if (r.info && visits.get(ref.visitId) === v) v.producers.set(r.producerId, r.info)
      return { producerId: r.producerId, answer: r.answer }
    },
    async consume (ref, transportId, producerId) { return route(ref.visitId).conn.call('consume', { ref, transportId, producerId }) },
    listProducers (visitId) { return [...(visits.get(visitId)?.producers.values() ?? [])].map((p) => ({ ...p })) },
    async pauseProducer (ref, producerId) {
      const v = route(ref.visitId)
      await v.conn.call('pauseProducer', { ref, producerId })
      const p = v.producers.get(producerId)
      if (p) p.paused = true
    },
    async resumeProducer (ref, producerId) {
      const v = route(ref.visitId)
      await v.conn.call('resumeProducer', { ref, producerId })
      const p = v.producers.get(producerId)
      if (p) p.paused = false
    },
    async closeProducer (ref, producerId) {
      const v = route(ref.visitId)
      await v.conn.call('closeProducer', { ref, producerId })
      v.producers.delete(producerId)
    },
    async pauseConsumer (ref, consumerId) { await route(ref.visitId).conn.call('pauseConsumer', { ref, consumerId }) },
    async resumeConsumer (ref, consumerId) { await route(ref.visitId).conn.call('resumeConsumer', { ref, consumerId }) },
    async setPreferredLayers (ref, consumerId, layers) { await route(ref.visitId).conn.call('setPreferredLayers', { ref, consumerId, layers }) },
    async requestKeyFrame (ref, consumerId) { await route(ref.visitId).conn.call('requestKeyFrame', { ref, consumerId }) },
    async stats (ref) { return route(ref.visitId).conn.call('stats', { ref }) },
    onEvent (l) { listeners.add(l); return () => { listeners.delete(l) } },
    /** What every connected node holds, summed (other API processes' rooms included). */
    async dump () {
      const total: EngineDump = { rooms: 0, participants: 0, transports: 0, producers: 0, consumers: 0, native: {} }
      const live = await Promise.all([...conns.values()].map((c) => c.catch(() => undefined)))
      for (const c of live) {
        if (!c?.open) continue
        const d = await c.call('dump', {}) as EngineDump
        total.rooms += d.rooms; total.participants += d.participants; total.transports += d.transports
        total.producers += d.producers; total.consumers += d.consumers
        for (const [k, n] of Object.entries(d.native)) total.native[k] = (total.native[k] ?? 0) + n
      }
      return total
    },
    async close () {
      if (closed) return
      closed = true
      unsubscribe()
      visits.clear()
      const live = await Promise.all([...conns.values()].map((c) => c.catch(() => undefined)))
      conns.clear()
      for (const c of live) c?.close()
      listeners.clear()
    }
  }
  return engine
}
