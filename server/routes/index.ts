import type { FastifyInstance } from 'fastify'
import authRoutes from './auth/index.js'
import health from './health.js'
import { accountTemplates } from '../notify/account-templates.js'
import messageWorker from '../notify/message-worker.js'
import { alertTemplates } from '../phi/alert-templates.js'
import phiVault from '../phi/plugin.js'
import { isProviderVerified } from '../phi/providers.js'
import signalling from '../../signalling/plugin.js'
import turn from '../../turn/plugin.js'

/** Every route plugin of the API, in one list. */
export async function registerRoutes (f: FastifyInstance): Promise<void> {
  await f.register(health)
  await f.register(authRoutes)
  // The one PHI vault, before every area that seals a patient's data with their key.
  await f.register(phiVault)
  const scheduler = await import('../../scheduler/plugin.js')
  await f.register(scheduler.default, {
    db: f.db, phi: f.phi, vault: f.phiVault, config: f.config, isProviderVerified: (id: string) => isProviderVerified(f.db, id)
  })
  // TURN before signalling: visits hand out the TURN plugin's credentials.
  await f.register(turn, { config: f.config })
  await f.register(signalling)
  await f.register((await import('./records/index.js')).default)
  await f.register((await import('../../web/plugin.js')).default)
  // Not a route: the one outbox sender, here because this is where every area's templates are known.
  await f.register(messageWorker, {
    templates: { ...accountTemplates, ...alertTemplates(f.config.server.publicUrl), ...scheduler.messageTemplates }
  })
}
