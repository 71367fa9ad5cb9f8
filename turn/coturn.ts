import { ConfigError, loadConfig } from '../config/load.js'
import { renderCoturnConfig } from './coturn-config.js'

/**
 * Prints a turnserver.conf matching this Bedside configuration:
 * `npx tsx turn/coturn.ts > /etc/turnserver.conf` (add --example for a copy
 * without the secret). Then set TURN_MODE=external and TURN_URLS.
 */
try {
  const { turn } = loadConfig()
  const example = process.argv.includes('--example')
  if (turn.secret === undefined && !example) throw new ConfigError(['TURN_SECRET is needed to write a coturn configuration (or pass --example)'])
  process.stdout.write(renderCoturnConfig({
    secret: turn.secret ?? '',
    redactSecret: example,
    realm: turn.realm,
    listeningIp: turn.host === '0.0.0.0' ? undefined : turn.host,
    port: turn.port,
    tlsPort: turn.tlsPort,
    certFile: turn.tlsCertFile,
    keyFile: turn.tlsKeyFile,
    relayIp: turn.relayIp,
    externalIp: turn.externalIp,
    minPort: turn.minPort,
    maxPort: turn.maxPort,
    maxLifetime: turn.maxLifetime,
    userQuota: turn.userQuota,
    totalQuota: turn.totalQuota,
    allowedPeers: turn.allowedPeers,
    deniedPeers: turn.deniedPeers
  }))
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`)
  process.exit(1)
}
