import { ErrorCodes, type ErrorCode } from './protocol.js'

/**
 * A refusal sent back as an error reply; the socket stays open. Messages name
 * the rule or field, never a value the client sent (it may be PHI).
 */
export class SignalError extends Error {
  override name = 'SignalError'
  constructor (readonly code: ErrorCode, message: string) { super(message) }
}

export const notAdmitted = () => new SignalError(ErrorCodes.notAdmitted, 'Not admitted yet: in the waiting room only ping, deviceCheck and leave are allowed')
export const forbidden = (what: string) => new SignalError(ErrorCodes.forbidden, `Only the visit's provider or staff may ${what}`)
export const notFound = (what: string) => new SignalError(ErrorCodes.notFound, `${what} not found in this visit`)
export const conflict = (why: string) => new SignalError(ErrorCodes.conflict, why)
export const visitEnded = () => new SignalError(ErrorCodes.visitEnded, 'The visit has ended')

/** Errors from the media engine (@fastify/error, BDS_ERR_MEDIA_*) carry ids only, so their message may be passed on. */
export function isMediaError (err: unknown): err is Error & { code: string; statusCode?: number } {
  const e = err as { code?: unknown; statusCode?: unknown }
  return typeof e?.code === 'string' && e.code.startsWith('BDS_ERR_MEDIA') &&
    (typeof e.statusCode !== 'number' || e.statusCode < 500)
}

/**
 * Runs an engine call made with browser-supplied payloads. An engine that
 * throws something other than its own 4xx errors (a parser choking on an SDP)
 * still answers the browser as a media refusal; `onOther` records the cause.
 */
export async function engineCall<T> (what: string, fn: () => Promise<T>, onOther: (err: unknown) => void): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isMediaError(err) || err instanceof SignalError) throw err
    onOther(err)
    throw new SignalError(ErrorCodes.media, `The media engine could not ${what}`)
  }
}

/** Rejects with a media error when a request takes too long; the connection's queue moves on. */
export function withTimeout<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new SignalError(ErrorCodes.media, `${what} timed out`)), ms)
    timer.unref()
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
