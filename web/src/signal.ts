import {
  CLOSE, PROTOCOL_VERSION, type DataOf, type DeviceCheck, type JoinReply, type MethodName, type ResultOf,
  type ServerMessage, type Signaller
} from './protocol.js'
import type { Notification } from '../../signalling/protocol.js'

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed'

export interface SignalOptions {
  url: string
  onEvent (n: Notification): void
  /** A replacement socket resumed the participant: its place is kept, its media is gone. */
  onResumed (r: JoinReply): void
  onConnection (state: ConnectionState, closeCode?: number): void
  /** Silence after which a ping goes out; a ping unanswered as long again drops the socket. */
  heartbeatMs?: number
  requestTimeoutMs?: number
  /** How long to keep trying to resume before giving up (the server's grace period). */
  resumeForMs?: number
}

export interface SignalClient extends Signaller {
  join (ticket: string, deviceCheck?: DeviceCheck): Promise<JoinReply>
  /** Drops the socket as a network fault would; the client resumes on a new one. */
  drop (): void
  /** Closes for good (after leave, decline, end). */
  close (): void
  readonly state: ConnectionState
}

export class SignalError extends Error {
  constructor (readonly code: string, message: string) { super(message) }
}

// Close codes after which resuming cannot help.
const FINAL = new Set<number>([CLOSE.normal, CLOSE.ticketInvalid, CLOSE.protocolViolation, CLOSE.declined,
  CLOSE.visitEnded, CLOSE.replaced, CLOSE.versionUnsupported])

interface Pending { resolve (v: unknown): void; reject (e: Error): void; timer: number }

/**
 * One participant's signalling socket: typed requests with replies,
 * notifications, an application heartbeat, and resume on a new socket when
 * the old one drops (the resume token rotates on every join/resume reply).
 */
export function createSignalClient (o: SignalOptions): SignalClient {
  const heartbeatMs = o.heartbeatMs ?? 4000
  const requestTimeoutMs = o.requestTimeoutMs ?? 15_000
  let ws: WebSocket | undefined
  let nextId = 1
  const pending = new Map<number, Pending>()
  let resumeToken: string | undefined
  let state: ConnectionState = 'connecting'
  let lastHeard = Date.now()
  let heartbeat: number | undefined
  let lostAt = 0
  let finished = false
  // Bumped on every loss, so a stale resume loop stops when a newer one starts.
  let epoch = 0

  const setState = (s: ConnectionState, code?: number): void => { state = s; o.onConnection(s, code) }

  const failPending = (why: string): void => {
    for (const [id, p] of pending) { clearTimeout(p.timer); p.reject(new SignalError('BDS_WS_CLOSED', why)); pending.delete(id) }
  }

  const open = (): Promise<WebSocket> => new Promise((resolve, reject) => {
    const sock = new WebSocket(o.url)
    sock.onopen = () => { sock.onerror = null; resolve(sock) }
    sock.onerror = () => reject(new SignalError('BDS_WS_CONNECT', 'could not reach the visit server'))
    sock.onclose = () => reject(new SignalError('BDS_WS_CONNECT', 'could not reach the visit server'))
    sock.onmessage = (ev) => onMessage(ev)
  })

  const attach = (sock: WebSocket): void => {
    ws = sock
    lastHeard = Date.now()
    sock.onclose = (ev) => { if (ws === sock) lost(ev.code) }
    sock.onerror = null
  }

  const onMessage = (ev: MessageEvent): void => {
    lastHeard = Date.now()
    let msg: ServerMessage
    try { msg = JSON.parse(String(ev.data)) as ServerMessage } catch { return }
    if ('event' in msg) { o.onEvent(msg); return }
    if (msg.id === null) return
    const p = pending.get(msg.id)
    if (!p) return
    pending.delete(msg.id)
    clearTimeout(p.timer)
    if (msg.ok) p.resolve(msg.result)
    else p.reject(new SignalError(msg.error.code, msg.error.message))
  }

  const send = <M extends MethodName>(sock: WebSocket | undefined, method: M, data: DataOf<M>, timeoutMs = requestTimeoutMs): Promise<ResultOf<M>> =>
    new Promise((resolve, reject) => {
      if (!sock || sock.readyState !== WebSocket.OPEN) { reject(new SignalError('BDS_WS_CLOSED', 'not connected')); return }
      const id = nextId++
      const timer = window.setTimeout(() => {
        pending.delete(id)
        reject(new SignalError('BDS_WS_TIMEOUT', `${method} timed out`))
      }, timeoutMs)
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      sock.send(JSON.stringify({ id, method, data }))
    })

  const startHeartbeat = (): void => {
    window.clearInterval(heartbeat)
    heartbeat = window.setInterval(() => {
      if (state !== 'connected') return
      const silent = Date.now() - lastHeard
      // Browsers cannot see a half-open TCP connection: an unanswered ping is how we notice.
      if (silent > heartbeatMs * 2) { client.drop(); return }
      if (silent > heartbeatMs) send(ws, 'ping', {}).catch(() => undefined)
    }, 1000)
  }

  // Back online after an outage: a socket that looks open may be dead. A quick
  // ping tells; if it goes unanswered, resume on a fresh socket right away
  // instead of waiting for the heartbeat.
  const onOnline = (): void => {
    // Mid-backoff when the network returns: try now rather than at the next retry.
    if (state === 'reconnecting' && !ws) { epoch++; void resume(0, epoch); return }
    if (state !== 'connected') return
    const sock = ws
    send(sock, 'ping', {}, 2000).catch(() => { if (ws === sock) client.drop() })
  }
  window.addEventListener('online', onOnline)

  const lost = (code: number): void => {
    ws = undefined
    failPending('connection lost')
    if (finished) return
    if (FINAL.has(code) || !resumeToken) { finish(code); return }
    lostAt = Date.now()
    epoch++
    setState('reconnecting', code)
    void resume(0, epoch)
  }

  const finish = (code?: number): void => {
    finished = true
    window.clearInterval(heartbeat)
    window.removeEventListener('online', onOnline)
    setState('closed', code)
  }

  const resume = async (attempt: number, mine: number): Promise<void> => {
    if (finished || mine !== epoch) return
    if (Date.now() - lostAt > (o.resumeForMs ?? 60_000)) { finish(); return }
    try {
      const sock = await open()
      if (finished || mine !== epoch) { sock.onclose = null; sock.close(1000); return }
      attach(sock)
      const r = await send(sock, 'resume', { version: PROTOCOL_VERSION, resumeToken: resumeToken! })
      resumeToken = r.resumeToken
      setState('connected')
      o.onResumed(r)
    } catch (err) {
      if (err instanceof SignalError && err.code === 'BDS_WS_TICKET_INVALID') { finish(CLOSE.ticketInvalid); return }
      if (mine !== epoch) return // the socket closed under us and a newer loop runs
      const sock = ws
      ws = undefined
      if (sock) { sock.onclose = null; sock.close() }
      const delay = Math.min(2000, 250 * 2 ** attempt)
      window.setTimeout(() => { void resume(attempt + 1, mine) }, delay)
    }
  }

  const client: SignalClient = {
    get state () { return state },
    async join (ticket, deviceCheck) {
      const sock = await open()
      attach(sock)
      const r = await send(sock, 'join', { version: PROTOCOL_VERSION, ticket, ...(deviceCheck ? { deviceCheck } : {}) })
      resumeToken = r.resumeToken
      setState('connected')
      startHeartbeat()
      return r
    },
    request (method, data) { return send(ws, method, data) },
    drop () {
      const sock = ws
      if (!sock) return
      ws = undefined
      sock.onclose = null
      sock.close()
      lost(1006)
    },
    close () {
      if (finished) return
      const sock = ws
      ws = undefined
      if (sock) { sock.onclose = null; sock.close(1000) }
      failPending('closed')
      finish(CLOSE.normal)
    }
  }
  return client
}
