import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { Config } from '../../config/load.js'
import type { Db } from '../../core/db/db.js'
import type { PhiCipher } from '../../core/crypto/phi.js'
import type { AccessTokens } from '../auth/access-token.js'
import type { SigningKeys } from '../auth/signing-keys.js'

export interface Services {
  config: Config
  db: Db
  phi: PhiCipher
  tokens: AccessTokens
  signingKeys: SigningKeys
  redis?: Redis
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    db: Db
    phi: PhiCipher
    tokens: AccessTokens
    signingKeys: SigningKeys
    redis: Redis | undefined
  }
}

/** The process-wide services, as named decorators (no module globals). */
export default fp(async function services (f: FastifyInstance, s: Services) {
  f.decorate('config', s.config)
  f.decorate('db', s.db)
  f.decorate('phi', s.phi)
  f.decorate('tokens', s.tokens)
  f.decorate('signingKeys', s.signingKeys)
  f.decorate('redis', s.redis)
}, { name: 'services' })
