import type { FastifyInstance } from 'fastify'
import authRoutes from './auth/index.js'
import health from './health.js'

/** Every route plugin of the API, in one list. */
export async function registerRoutes (f: FastifyInstance): Promise<void> {
  await f.register(health)
  await f.register(authRoutes)
}
