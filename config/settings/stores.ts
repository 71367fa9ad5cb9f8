import { Type } from '@sinclair/typebox'
import { optional, setting } from '../define.js'

export const stores = {
  databaseUrl: optional('DATABASE_URL', Type.String({ pattern: '^postgres(ql)?://' }),
    'PostgreSQL connection string. Unset: an embedded PGlite database under DATA_DIR (development only). Each API process LISTENs for change notifications (session and slot caches), so connect directly or through a session-mode pooler, not a transaction-mode one.', { secret: true }),
  databasePoolSize: setting('DATABASE_POOL_SIZE', Type.Integer({ minimum: 1, maximum: 200 }), 10, 'Connections in the PostgreSQL pool.'),
  redisUrl: optional('REDIS_URL', Type.String({ pattern: '^rediss?://' }),
    'Redis for rate limits, the event bus and media-node registry. Unset: in-process equivalents (one API process only).', { secret: true })
}
