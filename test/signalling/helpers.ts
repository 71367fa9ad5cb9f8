import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import WebSocket from 'ws'
import type { EventName, EventData, MethodName, DataOf, ResultOf, ServerMessage, ErrorInfo } from '../../signalling/protocol.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { bearer, createTestUser, type TestUser } from '../helpers/users.js'

export const TURN_SECRET = 'signalling-test-turn-secret-0123456789'

/** A listening app on 127.0.0.1 with the real werift engine and TURN credentials configured (no TURN server needed). */
export async function signallingApp (t: Test, settings: Record<string, string> = {}): Promise<TestApp & { url: string }> {
  const built = await buildTestApp(t, {
    MEDIA_ENGINE: 'werift', MEDIA_LISTEN_IP: '127.0.0.1',
    TURN_MODE: 'external', TURN_SECRET, TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
    ...settings
  })
  const address = await built.app.listen({ host: '127.0.0.1', port: 0 })
  return { ...built, url: address.replace(/^http/, 'ws') + '/ws' }
}

/**
 * An appointment owned by scheduling's tables, written straight in (the
 * booking flow has its own tests). Starts now unless told otherwise.
 */
export async function createAppointment (app: FastifyInstance, patient: TestUser, provider: TestUser,
  o: { status?: string; startsInMinutes?: number; minutes?: number } = {}): Promise<string> {
  await app.db.query(`INSERT INTO provider_calendars (provider_id, time_zone, min_notice_minutes, max_advance_days)
    VALUES ($1, 'UTC', 0, 365) ON CONFLICT DO NOTHING`, [provider.id])
  const vt = await app.db.query<{ id: string }>(`INSERT INTO visit_types (provider_id, code, name, duration_minutes)
    VALUES ($1, $2, 'Video visit', 30) RETURNING id`, [provider.id, `v-${randomUUID().slice(0, 8)}`])
  const id = randomUUID()
  const start = Date.now() + (o.startsInMinutes ?? 0) * 60_000
  const end = start + (o.minutes ?? 30) * 60_000
  await app.db.query(`INSERT INTO appointments (id, patient_id, provider_id, visit_type_id, status, starts_at, ends_at, busy_from, busy_until, booked_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7, $2)`,
  [id, patient.id, provider.id, vt.rows[0].id, o.status ?? 'booked', new Date(start), new Date(end)])
  return id
}

export async function appointmentStatus (app: FastifyInstance, id: string): Promise<string> {
  const { rows } = await app.db.query<{ status: string }>('SELECT status FROM appointments WHERE id = $1', [id])
  return rows[0].status
}

export async function ticketFor (app: FastifyInstance, user: TestUser, appointmentId: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/visits/${appointmentId}/ticket`, headers: bearer(user) })
  if (res.statusCode !== 201) throw new Error(`ticket: ${res.statusCode} ${res.body}`)
  return res.json().ticket
}

type Reply<M extends MethodName> = { ok: true; result: ResultOf<M> } | { ok: false; error: ErrorInfo }

/** A WebSocket client speaking the protocol: request() awaits the reply, next() awaits a notification. */
export class Client {
  readonly ws: WebSocket
  readonly events: Array<{ event: string; data: any }> = []
  readonly errors: any[] = []
  closed: Promise<{ code: number; reason: string }>
  #id = 0
  #pending = new Map<number, (m: any) => void>()
  #waiters: Array<{ match: (e: { event: string; data: any }) => boolean; resolve: (e: any) => void }> = []

  constructor (url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers })
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    this.ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as ServerMessage & { id?: number | null }
      if ('event' in m) {
        const w = this.#waiters.findIndex((x) => x.match(m))
        if (w >= 0) this.#waiters.splice(w, 1)[0].resolve(m)
        else this.events.push(m)
        return
      }
      const cb = typeof m.id === 'number' ? this.#pending.get(m.id) : undefined
      if (cb) { this.#pending.delete(m.id as number); cb(m) } else this.errors.push(m)
    })
    this.ws.on('error', () => undefined)
  }

  static async open (url: string, headers?: Record<string, string>): Promise<Client> {
    const c = new Client(url, headers)
    await new Promise<void>((resolve, reject) => { c.ws.once('open', () => resolve()); c.ws.once('error', reject) })
    return c
  }

  request<M extends MethodName> (method: M, data: DataOf<M> | Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Reply<M>> {
    const id = ++this.#id
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${method}`)), timeoutMs)
      this.#pending.set(id, (m) => { clearTimeout(timer); resolve(m) })
      this.ws.send(JSON.stringify({ id, method, data }))
    })
  }

  /** Like request, but throws on an error reply. */
  async call<M extends MethodName> (method: M, data: DataOf<M> | Record<string, unknown> = {}): Promise<ResultOf<M>> {
    const r = await this.request(method, data)
    if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
    return r.result
  }

  /** The next notification of that name (already received ones first). */
  next<E extends EventName> (event: E, match: (d: EventData<E>) => boolean = () => true, timeoutMs = 10_000): Promise<EventData<E>> {
    const i = this.events.findIndex((e) => e.event === event && match(e.data))
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0].data)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} event`)), timeoutMs)
      this.#waiters.push({ match: (e) => e.event === event && match(e.data), resolve: (e) => { clearTimeout(timer); resolve(e.data) } })
    })
  }

  has (event: EventName): boolean { return this.events.some((e) => e.event === event) }

  send (raw: string | Buffer): void { this.ws.send(raw) }
  close (): void { this.ws.close() }
  /** Drops the connection without a close handshake, like a network loss. */
  drop (): void { this.ws.terminate() }
}

export interface Cast { patient: TestUser; provider: TestUser; appointmentId: string }

export async function cast (app: FastifyInstance, o: Parameters<typeof createAppointment>[3] = {}): Promise<Cast> {
  const patient = await createTestUser(app, 'patient')
  const provider = await createTestUser(app, 'provider')
  return { patient, provider, appointmentId: await createAppointment(app, patient, provider, o) }
}

/** Opens a socket and joins with a fresh ticket. */
export async function joinAs (url: string, app: FastifyInstance, user: TestUser, appointmentId: string) {
  const c = await Client.open(url)
  const result = await c.call('join', { version: 1, ticket: await ticketFor(app, user, appointmentId) })
  return { c, result }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
