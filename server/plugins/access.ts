import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Access, AuthUser } from '../../core/access.js'
import { ConsentRequired, Forbidden, InvalidToken, MfaRequired, Unauthorized } from '../../core/errors.js'
import { MFA_REQUIRED_ROLES } from '../../core/roles.js'
import type { AccessClaims, AccessTokens } from '../auth/access-token.js'
import type { SessionCheck, SessionGate } from '../auth/session-gate.js'

export interface AccessOptions {
  tokens: AccessTokens
  /** Confirms the session behind a token is still live (logout, revoke, idle timeout take effect at once) and finds pending consent. */
  sessions: SessionGate
}

export class MissingAccessDeclaration extends Error {}

export interface RouteAccess { method: string | string[]; url: string; config?: { access?: Access } }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access declaration, for the least-privilege tests and docs. */
    accessTable: readonly RouteAccess[]
  }
}

/**
 * Least privilege by construction: every route must say who may call it in
 * `config.access`; a route without one stops the server from starting.
 */
export default fp(async function access (f: FastifyInstance, opts: AccessOptions) {
  f.decorateRequest('user', null)
  const routes: RouteAccess[] = []
  f.decorate('accessTable', routes)

  f.addHook('onRoute', (route) => {
    // A CORS preflight never carries credentials (Fetch standard), so it cannot require them.
    if (route.method === 'OPTIONS') route.config = { ...route.config, access: route.config?.access ?? 'public' }
    routes.push(route)
    // Callback style: a public route, or a signed-in one whose token and session
    // were checked moments ago (most requests), costs no promise.
    const check = (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
      const access = req.routeOptions.config.access
      if (access === undefined) return done(new Forbidden())
      if (access === 'public') return done()
      let known
      try {
        known = authoriseFromCache(req, access, opts)
      } catch (err) {
        return done(err as Error)
      }
      if (known) return done()
      authorise(req, access, opts).then(() => done(), done)
    }
    const pre = route.preValidation
    // Auth runs before validation: an anonymous caller learns nothing about a route's schema.
    route.preValidation = pre === undefined ? [check] : [check, ...(Array.isArray(pre) ? pre : [pre])]
  })

  // Checked once every plugin has added its routes (and had the chance to set
  // their config in its own onRoute hook, as the docs plugin does).
  f.addHook('onReady', async () => {
    const missing = routes.filter((r) => r.config?.access === undefined)
    if (missing.length > 0) {
      throw new MissingAccessDeclaration(`routes without config.access: ${missing.map((r) => `${String(r.method)} ${r.url}`).join(', ')}`)
    }
  })
}, { name: 'access' })

type Restricted = Exclude<Access, 'public'>

function bearerToken (req: FastifyRequest): string {
  const header = req.headers.authorization
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw new Unauthorized()
  return header.slice(7).trim()
}

const userOf = (claims: AccessClaims): AuthUser => ({ id: claims.sub, role: claims.role, sessionId: claims.sid, mfa: claims.mfa })

/** Decides from the verified-token and session caches alone; false when either has to be asked. */
function authoriseFromCache (req: FastifyRequest, access: Restricted, opts: AccessOptions): boolean {
  const claims = opts.tokens.cached(bearerToken(req))
  if (!claims) return false
  const user = userOf(claims)
  const session = opts.sessions.cached(user)
  if (!session) return false
  admit(req, user, session, access)
  return true
}

async function authorise (req: FastifyRequest, access: Restricted, opts: AccessOptions): Promise<void> {
  const token = bearerToken(req)
  let claims
  try {
    claims = await opts.tokens.verify(token)
  } catch {
    throw new InvalidToken()
  }
  const user = userOf(claims)
  admit(req, user, await opts.sessions.check(user), access)
}

function admit (req: FastifyRequest, user: AuthUser, session: SessionCheck, access: Restricted): void {
  if (!session.live) throw new InvalidToken()
  req.user = user
  if (!access.roles.includes(user.role)) throw new Forbidden()
  if (access.mfa !== false && MFA_REQUIRED_ROLES.includes(user.role) && !user.mfa) throw new MfaRequired()
  if (access.consent !== false && session.pendingConsent) throw new ConsentRequired(session.pendingConsent)
}
