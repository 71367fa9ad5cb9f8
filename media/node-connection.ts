import { Value } from '@sinclair/typebox/value'
import WebSocket from 'ws'
import type { EngineKind, MediaEvent } from './engine.js'
import { MediaEngineUnavailable } from './errors.js'
import { NodeMessageSchema, RPC_MAX_BYTES, type RpcData, type RpcErrorInfo, type RpcMethod } from './node-rpc.js'

/** An error a media node answered with; code and status survive the hop, so signalling treats it like a local engine's. */
export class MediaNodeError extends Error {
  override name = 'MediaNodeError'
  readonly code: string
  readonly statusCode: number
  constructor (info: RpcErrorInfo) {
    super(info.message)
    this.code = info.code
    this.statusCode = info.statusCode
  }
}

export interface NodeConnection {
  readonly nodeId: string
  readonly engine: EngineKind
  readonly open: boolean
  call<M extends RpcMethod> (method: M, data: RpcData<M>): Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Closes on purpose: onClose listeners hear `expected: true`. */
  close (): void
}

export interface ConnectOptions {
  nodeId: string
  address: string
  secret: string
  callTimeoutMs: number
  /** Silence after which a ping goes out; no pong within as long again drops the connection. */
  pingMs: number
  onEvent (e: MediaEvent): void
  onClose (expected: boolean): void
}

/**
 * One API process's WebSocket to one media node. Requests are answered by id;
 * a drop fails every request in flight with a 503 and calls onClose once.
 */
export function connectNode (o: ConnectOptions): Promise<NodeConnection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(o.address, { headers: { authorization: `Bearer ${o.secret}` }, maxPayload: RPC_MAX_BYTES, handshakeTimeout: o.callTimeoutMs })
    const pending = new Map<number, { resolve (v: unknown): void; reject (e: Error): void; timer: NodeJS.Timeout }>()
    let nextId = 1
    let ready = false
    let expected = false
    let closed = false
    let lastHeard = Date.now()
    let ping: NodeJS.Timeout | undefined
    // Upgraded but silent (a hung node): fail like an unreachable one rather than keep every placement on it waiting.
    const helloTimer = setTimeout(() => ws.terminate(), o.callTimeoutMs)

    const finish = (): void => {
      if (closed) return
      closed = true
      clearTimeout(helloTimer)
      clearInterval(ping)
      for (const [id, p] of pending) { clearTimeout(p.timer); p.reject(new MediaEngineUnavailable(`media node ${o.nodeId} connection lost`)); pending.delete(id) }
      if (ready) o.onClose(expected)
      else reject(new MediaEngineUnavailable(`media node ${o.nodeId} unreachable`))
    }

    ws.on('unexpected-response', (_req, res) => {
      // 401: the secret is wrong. Said once here, never the secret itself.
      reject(new MediaEngineUnavailable(`media node ${o.nodeId} refused the connection (HTTP ${res.statusCode})`))
      closed = true
      clearTimeout(helloTimer)
      ws.terminate()
    })
    ws.on('error', () => { /* 'close' follows and says the rest */ })
    ws.on('close', finish)
    ws.on('pong', () => { lastHeard = Date.now() })
    ws.on('message', (raw: Buffer) => {
      lastHeard = Date.now()
      let m: unknown
      try { m = JSON.parse(raw.toString('utf8')) } catch { return }
      if (!Value.Check(NodeMessageSchema, m)) return
      if ('hello' in m) {
        if (ready) return
        ready = true
        clearTimeout(helloTimer)
        ping = setInterval(() => {
          const silent = Date.now() - lastHeard
          // A node that crashed behind a live TCP path (or a cut cable) answers nothing: drop it.
          if (silent > 2 * o.pingMs) { ws.terminate(); return }
          if (silent >= o.pingMs && ws.readyState === ws.OPEN) ws.ping()
        }, Math.max(50, Math.floor(o.pingMs / 2)))
        ping.unref()
        resolve(conn(m.hello.engine))
        return
      }
      if ('event' in m) { o.onEvent(m.event as MediaEvent); return }
      if (m.id === null) return
      const p = pending.get(m.id)
      if (!p) return
      pending.delete(m.id)
      clearTimeout(p.timer)
      if (m.ok) p.resolve(m.result)
      else p.reject(new MediaNodeError(m.error))
    })

    const conn = (engine: EngineKind): NodeConnection => ({
      nodeId: o.nodeId,
      engine,
      get open () { return !closed && ws.readyState === ws.OPEN },
      call (method, data) {
        return new Promise((resolve, reject) => {
          if (closed || ws.readyState !== ws.OPEN) { reject(new MediaEngineUnavailable(`media node ${o.nodeId} connection lost`)); return }
          const id = nextId++
          const timer = setTimeout(() => {
            pending.delete(id)
            reject(new MediaEngineUnavailable(`media node ${o.nodeId} did not answer ${method} in time`))
          }, o.callTimeoutMs)
          pending.set(id, { resolve, reject, timer })
          ws.send(JSON.stringify({ id, method, data }))
        })
      },
      close () {
        expected = true
        if (ws.readyState === ws.CLOSED) { finish(); return }
        ws.close(1000, 'api closing')
        setTimeout(() => ws.terminate(), 2000).unref()
      }
    })
  })
}
