import type { FastifyInstance } from 'fastify'
import authRoutes from './auth/index.js'
import health from './health.js'
import { isProviderVerified } from '../phi/providers.js'
import signalling from '../../signalling/plugin.js'
import turn from '../../turn/plugin.js'

/** Every route plugin of the API, in one list. */
export async function registerRoutes (f: FastifyInstance): Promise<void> {
  await f.register(health)
  await f.register(authRoutes)
  await f.register((await import('../../scheduler/plugin.js')).default, {
    db: f.db, phi: f.phi, config: f.config, isProviderVerified: (id: string) => isProviderVerified(f.db, id)
  })
  // TURN before signalling: visits hand out the TURN plugin's credentials.
  await f.register(turn, { config: f.config })
  await f.register(signalling)
  await f.register((await import('./records/index.js')).default)
  await f.register((await import('../../web/plugin.js')).default)
}
