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

// A URL reaches the query and params percent-decoded, and decoding bytes never
// yields a lone surrogate (invalid UTF-8 becomes U+FFFD or is refused), so only
// an encoded NUL can make them unstorable: the common case costs one search.
const ENCODED_NUL = /%00/

/** Rejects such strings before validation so they never reach SQL as a 500. */
export default fp(async function inputGuard (f: FastifyInstance) {
  f.addHook('preValidation', (req, _reply, done) => {
    let bad = req.body === undefined || req.body === null ? null : findBadString(req.body, 'body')
    if (bad === null && ENCODED_NUL.test(req.url)) bad = findBadString(req.query, 'querystring') ?? findBadString(req.params, 'params')
    done(bad === null ? undefined : new BadRequest(`${bad} contains a NUL character or malformed unicode`))
  })
}, { name: 'input-guard' })
