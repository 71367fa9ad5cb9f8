import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { BadRequest } from '../../core/errors.js'

/** Finds strings PostgreSQL cannot store (NUL) or that are not well-formed UTF-16 (lone surrogates). */
function findBadString (value: unknown, path: string, depth = 0): string | null {
  if (depth > 32) return path
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return path
    if (!value.isWellFormed()) return path
    return null
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findBadString(value[i], `${path}/${i}`, depth + 1)
      if (bad) return bad
    }
    return null
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const bad = findBadString(k, `${path}/${k}`, depth + 1) ?? findBadString(v, `${path}/${k}`, depth + 1)
      if (bad) return bad
    }
  }
  return null
}

/** Rejects such strings before validation so they never reach SQL as a 500. */
export default fp(async function inputGuard (f: FastifyInstance) {
  f.addHook('preValidation', async (req) => {
    for (const [part, value] of [['body', req.body], ['querystring', req.query], ['params', req.params]] as const) {
      const bad = findBadString(value, part)
      if (bad) throw new BadRequest(`${bad} contains a NUL character or malformed unicode`)
    }
  })
}, { name: 'input-guard' })
