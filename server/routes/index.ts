import type { FastifyInstance } from 'fastify'
import health from './health.js'

/** Every route plugin of the API, in one list. */
export async function registerRoutes (f: FastifyInstance): Promise<void> {
  await f.register(health)
}
