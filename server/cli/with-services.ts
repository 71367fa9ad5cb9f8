import type { Config } from '../../config/load.js'
import { createServices, type StartedServices } from '../services.js'

/** Opens the same services the API uses (migrating the database first), runs fn, closes them. */
export async function withServices<T> (config: Config, fn: (s: StartedServices) => Promise<T>): Promise<T> {
  const s = await createServices(config)
  try {
    return await fn(s)
  } finally {
    await s.close()
  }
}
