import type { Notification } from '../../../signalling/protocol.js'
import type { Api, Ticket } from '../api.js'
import type { DeviceCheck, JoinReply } from '../protocol.js'
import { createSignalClient, type ConnectionState, type SignalClient } from '../signal.js'

export interface SessionHandler {
  event (n: Notification): void
  resumed (r: JoinReply): void
  connection (state: ConnectionState, closeCode?: number): void
}

/**
 * A participant's place in one visit: the socket plus the latest join or
 * resume reply. Pages come and go (device check, waiting room, visit); each
 * sets itself as the handler while it is shown.
 */
export interface VisitSession {
  readonly signal: SignalClient
  readonly joined: JoinReply
  setHandler (h: SessionHandler): void
  /** Events that arrived while no page listened (e.g. admitted during a page switch) are replayed. */
  close (): void
}

/** The ticket's socket path on this origin: never another host, whatever the path says. */
export function wsUrl (path: string): string {
  const safe = /^\/ws(\?route=[0-9a-f]{16})?$/.test(path) ? path : '/ws'
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${safe}`
}

/** Joins with a ticket for the appointment (signed-in users) or one a guest invite was traded for. */
export async function joinVisit (api: Api, appointmentId: string, deviceCheck?: DeviceCheck, guestTicket?: Ticket): Promise<VisitSession> {
  const issued = guestTicket ?? await api.visitTicket(appointmentId)
  const ticket = issued.ticket
  let handler: SessionHandler | undefined
  const backlog: Notification[] = []
  let joined: JoinReply
  const signal = createSignalClient({
    url: wsUrl(issued.ws),
    onEvent (n) { if (handler) handler.event(n); else backlog.push(n) },
    onResumed (r) { joined = r; handler?.resumed(r) },
    onConnection (s, code) { handler?.connection(s, code) }
  })
  joined = await signal.join(ticket, deviceCheck)
  return {
    signal,
    get joined () { return joined },
    setHandler (h) {
      handler = h
      for (const n of backlog.splice(0)) h.event(n)
    },
    close () { signal.close() }
  }
}
