import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import type { Config } from '../config/load.js'
import { loadKeyring, type KeyProvider } from '../core/crypto/keyring.js'
import { createPhiCipher } from '../core/crypto/phi.js'
import { createDb } from '../core/db/db.js'
import { migrate } from '../core/db/migrate.js'
import { createAccessTokens } from './auth/access-token.js'
import { loadSigningKeys, type SigningKeys } from './auth/signing-keys.js'
import type { Services } from './plugins/services.js'

export interface ServiceOverrides { keyring?: KeyProvider; signingKeys?: SigningKeys }

export interface StartedServices extends Services {
  /** What start-up chose, for the banner. */
  notes: string[]
  /** Migrations applied at this start. */
  applied: string[]
  close (): Promise<void>
}

/** Opens the database (migrating it), keys and Redis that one API process needs. */
export async function createServices (config: Config, o: ServiceOverrides = {}): Promise<StartedServices> {
  const dev = config.server.env !== 'production'
  const dataDir = resolve(config.server.dataDir)
  const notes: string[] = []
  const db = await createDb({ databaseUrl: config.stores.databaseUrl, poolSize: config.stores.databasePoolSize, dataDir })
  notes.push(db.kind === 'pglite'
    ? `database: EMBEDDED PGlite under ${join(dataDir, 'pglite')} (no DATABASE_URL; development only)`
    : 'database: PostgreSQL (DATABASE_URL)')
  let redis: Redis | undefined
  try {
    const applied = await migrate(db)
    const keyring = o.keyring ?? loadKeyring(config.phi.keyringFile ?? join(dataDir, 'phi-keyring.json'), { createIfMissing: dev && !config.phi.keyringFile })
    if (!o.keyring && !config.phi.keyringFile) notes.push(`PHI keys: GENERATED development keyring at ${join(dataDir, 'phi-keyring.json')}`)
    const signingKeys = o.signingKeys ?? await loadSigningKeys(config.auth.jwtKeysFile ?? join(dataDir, 'jwt-keys.json'), { createIfMissing: dev && !config.auth.jwtKeysFile })
    if (!o.signingKeys && !config.auth.jwtKeysFile) notes.push(`JWT keys: GENERATED development keys at ${join(dataDir, 'jwt-keys.json')}`)
    if (config.stores.redisUrl) {
      redis = new Redis(config.stores.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false })
      await redis.connect()
      notes.push('redis: connected (REDIS_URL)')
    } else {
      notes.push('redis: none (in-process rate limits and bus; run one API process only)')
    }
    const tokens = createAccessTokens(signingKeys, {
      issuer: config.auth.jwtIssuer, audience: config.auth.jwtAudience, ttlSeconds: config.auth.accessTokenTtl
    })
    return {
      config, db, phi: createPhiCipher(keyring), tokens, signingKeys, redis, notes, applied,
      async close () { redis?.disconnect(); await db.close() }
    }
  } catch (err) {
    redis?.disconnect()
    await db.close()
    throw err
  }
}

/**
 * `npm start` on a fresh machine: the bundled TURN needs a shared secret, so
 * development generates one under DATA_DIR (production must set TURN_SECRET).
 */
export function ensureDevTurnSecret (config: Config): string[] {
  const t = config.turn
  if (config.server.env === 'production' || t.mode === 'off' || t.secret !== undefined) return []
  const dir = resolve(config.server.dataDir)
  const file = join(dir, 'turn-secret')
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 })
  }
  t.secret = readFileSync(file, 'utf8').trim()
  return [`TURN: GENERATED development secret at ${file}; ${t.mode} TURN on ${t.host}:${t.port}`]
}
