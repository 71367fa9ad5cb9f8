import type { Registry } from 'prom-client'
import { createTurnEngine, type TurnEngine, type TurnEngineOptions } from './engine.js'
import { listenTcp, listenTls, listenUdp, type Listener } from './listeners.js'
import { createTurnMetrics } from './metrics.js'
import { createPeerPolicy } from './peer-policy.js'
import { createTurnStats, type TurnStats } from './stats.js'

/** The engine's options, with the peer policy given as address lists and the listeners the server opens. */
export interface TurnServerOptions extends Omit<TurnEngineOptions, 'peerPolicy' | 'now'> {
  host: string
  /** UDP and TCP port; 0 picks a free one (the same number for both is not guaranteed then). */
  port: number
  tcp: boolean
  tls?: { port: number, cert: string | Buffer, key: string | Buffer }
  allowedPeers: string[]
  deniedPeers: string[]
  /** Idle TCP/TLS connections are closed after this long (ms). */
  streamIdleMs?: number
}

export interface TurnServerStats extends TurnStats {
  running: boolean
  allocations: number
  ports: { udp?: number, tcp?: number, tls?: number }
}

export interface TurnServer {
  start(): Promise<void>
  stop(): Promise<void>
  stats(): TurnServerStats
  /** Prometheus registry of this server's metrics (read-only use). */
  readonly metrics: Registry
}

async function listenTcpPreferring (e: TurnEngine, host: string, port: number, fallback: boolean, idleMs?: number): Promise<Listener> {
  try {
    return await listenTcp(e, host, port, { idleMs })
  } catch (err) {
    if (!fallback) throw err
    return listenTcp(e, host, 0, { idleMs })
  }
}

/** The bundled TURN, embeddable in the API process or run alone by turn/main.ts. */
export function createTurnServer (opts: TurnServerOptions): TurnServer {
  if (opts.secret.length < 32) throw new TypeError('TURN secret must be at least 32 characters')
  const peerPolicy = createPeerPolicy({ allowed: opts.allowedPeers, denied: opts.deniedPeers })
  let engine: TurnEngine | undefined
  let listeners: { udp?: Listener, tcp?: Listener, tls?: Listener } = {}
  let starting: Promise<void> | undefined
  const makeEngine = (): TurnEngine => createTurnEngine({
    secret: opts.secret,
    realm: opts.realm,
    peerPolicy,
    relayIp: opts.relayIp,
    externalIp: opts.externalIp,
    minPort: opts.minPort,
    maxPort: opts.maxPort,
    defaultLifetime: opts.defaultLifetime,
    maxLifetime: opts.maxLifetime,
    userQuota: opts.userQuota,
    totalQuota: opts.totalQuota,
    permissionLifetime: opts.permissionLifetime,
    channelLifetime: opts.channelLifetime,
    sweepIntervalMs: opts.sweepIntervalMs,
    onError: opts.onError
  })
  // Metrics read through the current engine, so one registry serves every start; a restart begins from zero.
  let current: TurnEngine | undefined
  const zero = createTurnStats()
  const stats = new Proxy(zero, { get: (_t, k) => ((current?.stats ?? zero) as unknown as Record<string | symbol, unknown>)[k] })
  const metrics = createTurnMetrics(stats, { get size () { return current?.table.size ?? 0 } })

  const closeListeners = async (): Promise<void> => {
    const open = Object.values(listeners)
    listeners = {}
    await Promise.all(open.map((l) => l.close()))
  }

  return {
    metrics,
    start () {
      if (starting) return starting
      starting = (async () => {
        const e = makeEngine()
        engine = e
        current = e
        try {
          listeners.udp = await listenUdp(e, opts.host, opts.port)
          // With port 0 the TCP listener takes the UDP port when it is free, so one URL host:port serves both.
          if (opts.tcp) listeners.tcp = await listenTcpPreferring(e, opts.host, opts.port === 0 ? listeners.udp.port : opts.port, opts.port === 0, opts.streamIdleMs)
          if (opts.tls) listeners.tls = await listenTls(e, opts.host, opts.tls.port, opts.tls, { idleMs: opts.streamIdleMs })
        } catch (err) {
          await closeListeners()
          e.close()
          engine = undefined
          starting = undefined
          throw err
        }
      })()
      return starting
    },
    async stop () {
      if (starting) await starting.catch(() => {})
      starting = undefined
      await closeListeners()
      engine?.close()
      engine = undefined
    },
    stats () {
      return {
        ...(current?.stats ?? zero),
        running: engine !== undefined,
        allocations: current?.table.size ?? 0,
        ports: { udp: listeners.udp?.port, tcp: listeners.tcp?.port, tls: listeners.tls?.port }
      }
    }
  }
}
