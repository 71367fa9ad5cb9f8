import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { ErrorCodes, Methods, PROTOCOL_VERSION, type MethodName } from './protocol.js'
import { ClientEnvelopeSchema } from './protocol-requests.js'
import { SignalError } from './errors.js'

const envelope = TypeCompiler.Compile(ClientEnvelopeSchema)
const dataChecks = new Map<string, TypeCheck<TSchema>>(
  Object.entries(Methods).map(([name, m]) => [name, TypeCompiler.Compile(m.data as TSchema)]))

export interface ParsedRequest { id: number; method: MethodName; data: unknown }

/** Names where and why, never what: the offending value is not echoed. */
function firstProblem (check: TypeCheck<TSchema>, value: unknown, prefix: string): string {
  const e = check.Errors(value).First()
  return e ? `${prefix}${e.path || '/'}: ${e.message}` : `${prefix}: invalid`
}

/**
 * Parses one text frame into a request, or throws a SignalError naming the
 * problem. `id` is returned as soon as it is readable so the error reply can carry it.
 */
export function parseRequest (text: string): ParsedRequest {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new SignalError(ErrorCodes.badJson, 'Message is not valid JSON')
  }
  if (!envelope.Check(raw)) {
    throw Object.assign(new SignalError(ErrorCodes.validation, firstProblem(envelope, raw, 'message')), { requestId: readableId(raw) })
  }
  const { id, method } = raw
  const check = Object.hasOwn(Methods, method) ? dataChecks.get(method) : undefined
  if (!check) throw Object.assign(new SignalError(ErrorCodes.unknownMethod, 'Unknown method'), { requestId: id })
  const data = raw.data ?? {}
  if (!check.Check(data)) {
    const versioned = (data as { version?: unknown }).version
    if ((method === 'join' || method === 'resume') && versioned !== undefined && versioned !== PROTOCOL_VERSION) {
      throw Object.assign(new SignalError(ErrorCodes.versionUnsupported, `Protocol version ${PROTOCOL_VERSION} only`), { requestId: id })
    }
    throw Object.assign(new SignalError(ErrorCodes.validation, firstProblem(check, data, `${method} data`)), { requestId: id })
  }
  return { id, method: method as MethodName, data }
}

function readableId (raw: unknown): number | null {
  const id = (raw as { id?: unknown } | null)?.id
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null
}
