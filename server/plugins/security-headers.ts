import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * The headers helmet sets for these options. Without nonces or per-request
 * directive functions they depend on the options alone, so they are computed
 * once at start (@fastify/helmet rebuilds helmet's middleware on every request).
 */
export function helmetHeaders (options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  let failure: unknown
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => { failure = err })
  if (failure) throw failure
  return Object.freeze(headers)
}
