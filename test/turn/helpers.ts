import dgram from 'node:dgram'
import { once } from 'node:events'
import { issueTurnCredentials } from '../../turn/credentials.js'
import { createTurnServer, type TurnServer, type TurnServerOptions } from '../../turn/server.js'
import { TurnTestClient, type Addr, type ClientOptions } from './turn-client.js'

export const SECRET = 'test-secret-0123456789abcdefghijklmnop'

interface Teardown { teardown(fn: () => unknown): void }

/** A bundled TURN on 127.0.0.1, free ports, loopback peers allowed (production refuses them). */
export async function startTurn (t: Teardown, o: Partial<TurnServerOptions> = {}): Promise<{ server: TurnServer, addr: Addr, tcp?: Addr, tls?: Addr }> {
  const server = createTurnServer({
    secret: SECRET,
    realm: 'bedside-test',
    host: '127.0.0.1',
    port: 0,
    tcp: true,
    minPort: 49152,
    maxPort: 65535,
    defaultLifetime: 600,
    maxLifetime: 3600,
    userQuota: 10,
    totalQuota: 1000,
    allowedPeers: ['127.0.0.1'],
    deniedPeers: [],
    ...o
  })
  await server.start()
  t.teardown(() => server.stop())
  const { ports } = server.stats()
  return {
    server,
    addr: { address: '127.0.0.1', port: ports.udp! },
    tcp: ports.tcp ? { address: '127.0.0.1', port: ports.tcp } : undefined,
    tls: ports.tls ? { address: '127.0.0.1', port: ports.tls } : undefined
  }
}

export function creds (participantId = 'participant-1', ttlSeconds = 600): { username: string, password: string } {
  const c = issueTurnCredentials({ participantId, ttlSeconds }, { secret: SECRET, urls: ['turn:x'], maxTtlSeconds: 86400 })
  return { username: c.username, password: c.credential }
}

export async function client (t: Teardown, server: Addr, o: Partial<ClientOptions> = {}): Promise<TurnTestClient> {
  const c = await TurnTestClient.connect({ server, ...creds(), ...o })
  t.teardown(() => c.close())
  return c
}

/** A UDP peer on loopback that records what reaches it. */
export async function peer (t: Teardown): Promise<{ sock: dgram.Socket, addr: Addr, next(ms?: number): Promise<{ data: Buffer, from: Addr } | undefined> }> {
  const sock = dgram.createSocket('udp4')
  sock.bind(0, '127.0.0.1')
  await once(sock, 'listening')
  t.teardown(() => sock.close())
  const queue: Array<{ data: Buffer, from: Addr }> = []
  const waiters: Array<(v: { data: Buffer, from: Addr }) => void> = []
  sock.on('message', (data, rinfo) => {
    const v = { data, from: { address: rinfo.address, port: rinfo.port } }
    const w = waiters.shift()
    if (w) w(v); else queue.push(v)
  })
  return {
    sock,
    addr: { address: '127.0.0.1', port: sock.address().port },
    next (ms = 1000) {
      const v = queue.shift()
      if (v) return Promise.resolve(v)
      return new Promise((resolve) => {
        const timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); resolve(undefined) }, ms)
        const w = (x: { data: Buffer, from: Addr }): void => { clearTimeout(timer); resolve(x) }
        waiters.push(w)
      })
    }
  }
}

export function nextEvent<T extends unknown[]> (c: TurnTestClient, event: 'channel' | 'data', ms = 1000): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { c.off(event, on); resolve(undefined) }, ms)
    const on = (...args: unknown[]): void => { clearTimeout(timer); c.off(event, on); resolve(args as T) }
    c.on(event, on)
  })
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
