import type { Config } from './load.js'

/** Which Bedside process is starting: each holds different secrets, so each has its own production rules. */
export type ProcessRole = 'api' | 'turn' | 'media-node'

/**
 * What a hospital must not run in production. Each problem names the setting
 * and what to do, so the process stops with an answer, not a riddle. The TURN
 * server and media nodes hold no PHI, tokens or database: they check their own
 * settings at start (turn/settings.ts, media/settings.ts) instead of these.
 */
export function productionProblems (config: Config, role: ProcessRole = 'api'): string[] {
  if (role !== 'api') return []
  const problems: string[] = []
  const { server, stores, auth, phi } = config
  const tls = server.tlsCertFile !== undefined && server.tlsKeyFile !== undefined
  if (!tls && server.trustProxy === false) {
    problems.push('NODE_ENV=production needs TLS: set TLS_CERT_FILE and TLS_KEY_FILE, or TRUST_PROXY to the address of the TLS-terminating proxy')
  }
  if (server.trustProxy === true) {
    problems.push('TRUST_PROXY=true trusts every client\'s X-Forwarded-For in production: list the proxy addresses instead')
  }
  if (stores.databaseUrl === undefined) {
    problems.push('NODE_ENV=production needs DATABASE_URL: the embedded database is for development only')
  }
  if (auth.jwtKeysFile === undefined) {
    problems.push('NODE_ENV=production needs JWT_KEYS_FILE: generated development keys are not allowed')
  }
  if (phi.keyringFile === undefined) {
    problems.push('NODE_ENV=production needs PHI_KEYRING_FILE: generated development keys are not allowed')
  }
  if (!server.publicUrl.startsWith('https://')) {
    problems.push('PUBLIC_URL must be https:// in production')
  }
  return problems
}
