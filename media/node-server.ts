import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Value } from '@sinclair/typebox/value'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EngineLogger, MediaEngine, MediaEvent } from './engine.js'
import { MediaRoomNotFound } from './errors.js'
import {
  isRpcMethod, RPC_MAX_BYTES, RpcMethods, RpcRequestSchema, type NodeMessage, type RpcData, type RpcErrorInfo, type RpcMethod
} from './node-rpc.js'

export interface NodeServerOptions {
  engine: MediaEngine
  /** Shared with every API process (MEDIA_NODE_SECRET). */
  secret: string
  nodeId: string
  host: string
  /** 0 picks a free port. */
  port: number
  log: EngineLogger
}

export interface NodeServer {
  readonly port: number
  /** Rooms created through live connections. */
  readonly rooms: number
  readonly connections: number
  /** Stops accepting, closes every connection (1001) and the rooms they created. The engine stays the caller's. */
  close (): Promise<void>
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function secretMatches (presented: string | undefined, secret: string): boolean {
  if (presented === undefined) return false
  return timingSafeEqual(digest(presented), digest(secret))
}

type Conn = { ws: WebSocket; owned: Set<string> }

class RpcError extends Error {
  constructor (readonly info: RpcErrorInfo) { super(info.message) }
}
const badRequest = (message: string): RpcError => new RpcError({ code: 'BDS_ERR_MEDIA_BAD_REQUEST', statusCode: 400, message: `Invalid media request: ${message}` })

/**
 * Serves a local MediaEngine to API processes over a WebSocket (node-rpc.ts).
 * A connection only reaches the rooms it created: another API process cannot
 * steer them, and when a connection drops its rooms close (the API has
 * already told its participants to rebuild elsewhere, see remote-engine.ts).
 */
export async function serveMediaNode (o: NodeServerOptions): Promise<NodeServer> {
  const { engine, log } = o
  const owners = new Map<string, Conn>()
  const conns = new Set<Conn>()
  // Rooms being closed after their connection dropped; close() waits for them.
  const orphans = new Set<Promise<void>>()

  const http = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ status: 'ok', nodeId: o.nodeId, engine: engine.kind, rooms: owners.size, connections: conns.size }))
      return
    }
    res.writeHead(404).end()
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: RPC_MAX_BYTES })

  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const auth = req.headers.authorization
    const presented = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined
    if (!secretMatches(presented, o.secret)) {
      log.warn({ ip: req.socket.remoteAddress }, 'media node: connection refused (wrong or missing secret)')
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws))
  })

  const send = (c: Conn, m: NodeMessage): void => { if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(m)) }

  engine.onEvent((e: MediaEvent) => {
    const owner = owners.get(e.visitId)
    if (owner) send(owner, { event: e })
  })

  const visitOf = (data: { visitId?: string; ref?: { visitId: string } }): string | undefined => data.visitId ?? data.ref?.visitId

  const dispatch = async (c: Conn, method: RpcMethod, data: any): Promise<unknown> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const visitId = visitOf(data)
    if (method === 'createRoom') {
      const caps = await engine.createRoom(data.visitId)
      const prev = owners.get(data.visitId)
      if (prev && prev !== c) prev.owned.delete(data.visitId)
      owners.set(data.visitId, c)
      c.owned.add(data.visitId)
      return caps
    }
    if (method === 'dump') return engine.dump()
    if (visitId === undefined || owners.get(visitId) !== c) throw new MediaRoomNotFound(visitId ?? '')
    switch (method) {
      case 'closeRoom': {
        owners.delete(visitId)
        c.owned.delete(visitId)
        await engine.closeRoom(visitId)
        return {}
      }
      case 'listProducers': return engine.listProducers(visitId)
      case 'addParticipant': { const d = data as RpcData<'addParticipant'>; await engine.addParticipant(d.ref, d.client); return {} }
      case 'closeParticipant': await engine.closeParticipant(data.ref); return {}
      case 'createTransport': return engine.createTransport(data.ref, data.direction)
      case 'connectTransport': { const d = data as RpcData<'connectTransport'>; await engine.connectTransport(d.ref, d.transportId, d.connect); return {} }
      case 'produce': {
        const d = data as RpcData<'produce'>
        const produced = await engine.produce(d.ref, d.transportId, d.req)
        // The API mirrors producers (listProducers is synchronous): send what it needs with the reply.
        return { ...produced, info: engine.listProducers(visitId).find((p) => p.producerId === produced.producerId) ?? null }
      }
      case 'consume': return engine.consume(data.ref, data.transportId, data.producerId)
      case 'pauseProducer': await engine.pauseProducer(data.ref, data.producerId); return {}
      case 'resumeProducer': await engine.resumeProducer(data.ref, data.producerId); return {}
      case 'closeProducer': await engine.closeProducer(data.ref, data.producerId); return {}
      case 'pauseConsumer': await engine.pauseConsumer(data.ref, data.consumerId); return {}
      case 'resumeConsumer': await engine.resumeConsumer(data.ref, data.consumerId); return {}
      case 'setPreferredLayers': await engine.setPreferredLayers(data.ref, data.consumerId, data.layers); return {}
      case 'requestKeyFrame': await engine.requestKeyFrame(data.ref, data.consumerId); return {}
      case 'stats': return engine.stats(data.ref)
    }
  }

  const errorInfo = (err: unknown, method: string): RpcErrorInfo => {
    if (err instanceof RpcError) return err.info
    const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; name?: unknown }
    // The engines' own errors carry ids only, so their message may travel; anything else is named, not quoted.
    if (typeof e?.code === 'string' && e.code.startsWith('BDS_ERR_MEDIA') && typeof e.statusCode === 'number') {
      return { code: e.code, statusCode: e.statusCode, message: String(e.message) }
    }
    log.warn({ method, err: typeof e?.name === 'string' ? e.name : 'unknown' }, 'media node: engine call failed')
    return { code: 'BDS_ERR_MEDIA_NODE_FAILED', statusCode: 500, message: `The media node could not ${method}` }
  }

  const onMessage = async (c: Conn, raw: Buffer, isBinary: boolean): Promise<void> => {
    let id: number | null = null
    let method = 'read the request'
    try {
      if (isBinary) throw badRequest('binary frames are not accepted')
      let msg: unknown
      try { msg = JSON.parse(raw.toString('utf8')) } catch { throw badRequest('not JSON') }
      if (typeof (msg as { id?: unknown })?.id === 'number' && Number.isSafeInteger((msg as { id: number }).id)) id = (msg as { id: number }).id
      if (!Value.Check(RpcRequestSchema, msg)) throw badRequest('expected { id, method, data }')
      const req = msg as { id: number; method: string; data?: unknown }
      if (!isRpcMethod(req.method)) throw badRequest('unknown method')
      method = req.method
      const data = req.data ?? {}
      const schema = RpcMethods[req.method]
      if (!Value.Check(schema, data)) {
        const first = Value.Errors(schema, data).First()
        throw badRequest(`${req.method} data${first?.path ?? ''}: ${first?.message ?? 'invalid'}`)
      }
      const result = await dispatch(c, req.method, data)
      send(c, { id: req.id, ok: true, result: result ?? {} })
    } catch (err) {
      send(c, { id, ok: false, error: errorInfo(err, method) })
    }
  }

  const accept = (ws: WebSocket): void => {
    const c: Conn = { ws, owned: new Set() }
    conns.add(c)
    send(c, { hello: { nodeId: o.nodeId, engine: engine.kind } })
    // Requests may run concurrently: the engines take care of their own ordering per room.
    ws.on('message', (raw: Buffer, isBinary: boolean) => { void onMessage(c, raw, isBinary) })
    ws.on('error', (err) => log.warn({ err: err.name }, 'media node: connection error'))
    ws.on('close', () => {
      conns.delete(c)
      for (const visitId of c.owned) {
        if (owners.get(visitId) !== c) continue
        owners.delete(visitId)
        const p = engine.closeRoom(visitId)
          .catch((err: unknown) => log.warn({ visitId, err: (err as Error).name }, 'media node: closing an orphaned room failed'))
          .finally(() => orphans.delete(p))
        orphans.add(p)
      }
      c.owned.clear()
    })
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(o.port, o.host, () => { http.off('error', reject); resolve() })
  })
  const port = (http.address() as AddressInfo).port
  let closing: Promise<void> | undefined

  return {
    port,
    get rooms () { return owners.size },
    get connections () { return conns.size },
    close () {
      closing ??= (async () => {
        const closed = [...conns].map((c) => new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) { resolve(); return }
          c.ws.once('close', () => resolve())
          c.ws.close(1001, 'media node shutting down')
          setTimeout(() => { c.ws.terminate(); resolve() }, 2000).unref()
        }))
        await Promise.all(closed)
        await Promise.all([...orphans])
        await new Promise<void>((resolve) => wss.close(() => resolve()))
        await new Promise<void>((resolve) => http.close(() => resolve()))
      })()
      return closing
    }
  }
}
