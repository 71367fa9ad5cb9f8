import { readFileSync } from 'node:fs'
import { isIPv6 } from 'node:net'
import type { Config } from '../config/load.js'
import type { TurnCredentialSettings } from './credentials.js'
import { createPeerPolicy } from './peer-policy.js'
import type { TurnServerOptions } from './server.js'

type TurnConfig = Config['turn']

/**
 * URLs browsers get. Explicit TURN_URLS win (always for an external coturn);
 * otherwise the bundled server's own listeners, UDP first because it is the
 * cheapest path, TCP and TLS for networks that only let TCP out.
 */
export function turnUrls (turn: TurnConfig): string[] {
  if (turn.urls.length > 0 || turn.mode === 'external' || turn.mode === 'off') return turn.mode === 'off' ? [] : turn.urls
  const host = turn.externalIp ?? turn.host
  const h = isIPv6(host) ? `[${host}]` : host
  const urls = [`turn:${h}:${turn.port}?transport=udp`]
  if (turn.tcp) urls.push(`turn:${h}:${turn.port}?transport=tcp`)
  if (turn.tlsPort !== undefined) urls.push(`turns:${h}:${turn.tlsPort}?transport=tcp`)
  return urls
}

export function turnCredentialSettings (config: Config): TurnCredentialSettings {
  const turn = config.turn
  return {
    secret: turn.mode === 'off' ? undefined : turn.secret,
    urls: turnUrls(turn),
    maxTtlSeconds: turn.credentialMaxTtl
  }
}

/** Problems that should stop a process that is meant to relay or issue TURN credentials. */
export function turnConfigProblems (config: Config): string[] {
  const turn = config.turn
  const problems: string[] = []
  if (turn.mode === 'off') return problems
  if (turn.secret === undefined) problems.push(`TURN_MODE=${turn.mode} needs TURN_SECRET (at least 32 characters, the same on every TURN server)`)
  if (turn.mode === 'external' && turn.urls.length === 0) problems.push('TURN_MODE=external needs TURN_URLS of the coturn servers')
  if (turn.minPort > turn.maxPort) problems.push('TURN_MIN_PORT must not exceed TURN_MAX_PORT')
  if (turn.tlsPort !== undefined && (turn.tlsCertFile === undefined || turn.tlsKeyFile === undefined)) {
    problems.push('TURN_TLS_PORT needs TURN_TLS_CERT_FILE and TURN_TLS_KEY_FILE')
  }
  if (turn.defaultLifetime > turn.maxLifetime) problems.push('TURN_DEFAULT_LIFETIME must not exceed TURN_MAX_LIFETIME')
  if (config.server.env === 'production' && turn.mode !== 'external') {
    const loopback = (a: string): boolean => a === 'localhost' || a.startsWith('127.') || a === '::1'
    if (loopback(turn.host) && turn.externalIp === undefined && turn.urls.length === 0) {
      problems.push('TURN_HOST is a loopback address: browsers cannot reach it. Set TURN_HOST (and TURN_EXTERNAL_IP behind NAT) or TURN_URLS')
    }
    const peerPolicy = createPeerPolicy({ allowed: turn.allowedPeers })
    if (peerPolicy('127.0.0.1') || peerPolicy('::1')) problems.push('TURN_ALLOWED_PEERS must not include loopback in production')
    if (peerPolicy('169.254.169.254')) problems.push('TURN_ALLOWED_PEERS must not include 169.254.169.254 (cloud metadata) in production')
  }
  return problems
}

/** Options of the bundled server from the configuration; reads the TLS files. */
export function turnServerOptions (config: Config): TurnServerOptions {
  const turn = config.turn
  if (turn.secret === undefined) throw new TypeError('TURN_SECRET is not set')
  return {
    secret: turn.secret,
    realm: turn.realm,
    host: turn.host,
    port: turn.port,
    tcp: turn.tcp,
    tls: turn.tlsPort !== undefined && turn.tlsCertFile !== undefined && turn.tlsKeyFile !== undefined
      ? { port: turn.tlsPort, cert: readFileSync(turn.tlsCertFile), key: readFileSync(turn.tlsKeyFile) }
      : undefined,
    relayIp: turn.relayIp,
    externalIp: turn.externalIp,
    minPort: turn.minPort,
    maxPort: turn.maxPort,
    defaultLifetime: turn.defaultLifetime,
    maxLifetime: turn.maxLifetime,
    userQuota: turn.userQuota,
    totalQuota: turn.totalQuota,
    allowedPeers: turn.allowedPeers,
    deniedPeers: turn.deniedPeers
  }
}
