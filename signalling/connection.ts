import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket } from 'ws'
import { isMediaError, SignalError } from './errors.js'
import { checkAllowed, handlers, type HandlerContext } from './handlers.js'
import type { Participant, SignalSink } from './participant.js'
import { CloseCodes, ErrorCodes, type ErrorReply, type JoinResult, type ServerMessage } from './protocol.js'
import { createBucket } from './rate-bucket.js'
import { parseRequest, type ParsedRequest } from './validate.js'
import type { Visit } from './visit.js'

export interface ConnectionLimits {
  maxMessageBytes: number
  rateBurst: number
  ratePerSecond: number
  rateStrikes: number
  maxInvalid: number
  joinTimeoutMs: number
}

/** What a connection needs from the service: turning a ticket or resume token into a place in a visit. */
export interface ConnectionHost {
  limits: ConnectionLimits
  log: FastifyBaseLogger
  join (data: { ticket: string; deviceCheck?: import('./protocol.js').DeviceCheck }, sink: SignalSink, meta: ConnectionMeta): Promise<Joined>
  resume (token: string, sink: SignalSink, meta: ConnectionMeta): Promise<Joined>
  context (visit: Visit, p: Participant): HandlerContext
  track (c: Connection): () => void
}
export interface Joined { visit: Visit; p: Participant; result: JoinResult }
export interface ConnectionMeta { requestId: string; ip: string }

/** Thrown by join/resume when the socket must close (bad ticket...). */
export class JoinRefused extends SignalError {
  constructor (code: SignalError['code'], message: string, readonly closeCode: number) { super(code, message) }
}

// A browser that stops reading must not make us buffer without bound.
const MAX_BUFFERED = 4 * 1024 * 1024

/**
 * One WebSocket: limits, parsing, and requests run strictly in order (media
 * negotiation depends on it). The socket only ever talks to the visit through
 * its participant; before join/resume nothing else is accepted.
 */
export function acceptConnection (socket: WebSocket, meta: ConnectionMeta, host: ConnectionHost) {
  const { limits, log } = host
  const id = randomUUID()
  const bucket = createBucket(limits.rateBurst, limits.ratePerSecond)
  let joined: { visit: Visit; p: Participant } | null = null
  let joining = false
  let invalid = 0
  let strikes = 0
  let closing = false
  let queue: Promise<void> = Promise.resolve()
  let lastSeen = Date.now()

  const write = (m: ServerMessage) => {
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > MAX_BUFFERED) { close(CloseCodes.rateLimited, 'not reading fast enough'); return }
    socket.send(JSON.stringify(m))
  }
  const close = (code: number, reason: string) => {
    if (closing) return
    closing = true
    write({ event: 'closing', data: { code, reason } })
    socket.close(code, reason)
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => socket.terminate(), 2000).unref()
  }
  const sink: SignalSink = { connectionId: id, send: write, close }
  const fail = (requestId: number | null, code: string, message: string) => {
    const reply: ErrorReply = { id: requestId, ok: false, error: { code, message } }
    write(reply)
  }
  const strikeInvalid = () => {
    if (++invalid >= limits.maxInvalid) close(CloseCodes.protocolViolation, 'too many invalid messages')
  }

  const joinTimer = setTimeout(() => { if (!joined) close(CloseCodes.joinTimeout, 'no join or resume in time') }, limits.joinTimeoutMs)
  joinTimer.unref()

  const run = async (req: ParsedRequest) => {
    if (closing) return
    try {
      if (req.method === 'join' || req.method === 'resume') {
        if (joined || joining) throw new SignalError(ErrorCodes.alreadyJoined, 'This socket has already joined')
        joining = true
        const d = req.data as { ticket?: string; resumeToken?: string; deviceCheck?: import('./protocol.js').DeviceCheck }
        const done = req.method === 'join'
          ? await host.join({ ticket: d.ticket as string, deviceCheck: d.deviceCheck }, sink, meta)
          : await host.resume(d.resumeToken as string, sink, meta)
        joined = { visit: done.visit, p: done.p }
        clearTimeout(joinTimer)
        write({ id: req.id, ok: true, result: done.result })
        return
      }
      if (!joined) throw new SignalError(ErrorCodes.notJoined, 'Send join (or resume) first')
      const { visit, p } = joined
      if (p.sink !== sink) throw new SignalError(p.sink === null && visit.ended ? ErrorCodes.visitEnded : ErrorCodes.conflict, 'This socket no longer speaks for the participant')
      checkAllowed(req.method, p)
      const result = await handlers[req.method](host.context(visit, p), req.data)
      write({ id: req.id, ok: true, result } as ServerMessage)
      if (req.method === 'leave') { joined = null; close(CloseCodes.normal, 'left') }
      if (req.method === 'endVisit') { joined = null; close(CloseCodes.visitEnded, 'visit ended') }
    } catch (err) {
      if (err instanceof JoinRefused) {
        fail(req.id, err.code, err.message)
        close(err.closeCode, err.message)
      } else if (err instanceof SignalError) {
        fail(req.id, err.code, err.message)
        if (err.code === ErrorCodes.notJoined || err.code === ErrorCodes.alreadyJoined) strikeInvalid()
      } else if (isMediaError(err)) {
        fail(req.id, ErrorCodes.media, err.message)
      } else {
        log.error({ err, method: req.method, connectionId: id }, 'signalling request failed')
        fail(req.id, ErrorCodes.internal, `Something went wrong. Quote request id ${meta.requestId} to your IT team.`)
      }
    } finally {
      if (req.method === 'join' || req.method === 'resume') joining = false
    }
  }

  socket.on('message', (raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    lastSeen = Date.now()
    if (closing) return
    if (!bucket.take()) {
      fail(null, ErrorCodes.rateLimited, `More than ${limits.ratePerSecond} messages per second`)
      if (++strikes >= limits.rateStrikes) close(CloseCodes.rateLimited, 'message rate limit exceeded')
      return
    }
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer)
    if (isBinary) { fail(null, ErrorCodes.badJson, 'Binary frames are not accepted; send JSON text'); strikeInvalid(); return }
    if (buf.length > limits.maxMessageBytes) { close(CloseCodes.messageTooBig, 'message too large'); return }
    let req: ParsedRequest
    try {
      req = parseRequest(buf.toString('utf8'))
    } catch (err) {
      const e = err as SignalError & { requestId?: number | null }
      fail(e.requestId ?? null, e.code ?? ErrorCodes.validation, e.message)
      strikeInvalid()
      return
    }
    queue = queue.then(() => run(req))
  })
  socket.on('pong', () => { lastSeen = Date.now() })
  socket.on('error', (err) => log.debug({ err: err.name, connectionId: id }, 'websocket error'))

  const connection = {
    id,
    get lastSeen () { return lastSeen },
    ping () { if (socket.readyState === socket.OPEN) socket.ping() },
    close,
    terminate () { socket.terminate() }
  }
  const untrack = host.track(connection)
  socket.on('close', () => {
    closing = true
    clearTimeout(joinTimer)
    untrack()
    // Wait for the request in flight so a join finishing after the drop still starts the grace period.
    queue.then(() => { if (joined) joined.visit.disconnect(joined.p, sink) }).catch(() => undefined)
  })
  return connection
}
export type Connection = ReturnType<typeof acceptConnection>
