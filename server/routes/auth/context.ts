import type { FastifyInstance } from 'fastify'
import { loadCommonPasswords } from '../../auth/common-passwords.js'
import { createPasswordHasher, weakHashProblem, type PasswordHasher } from '../../auth/password-hasher.js'
import { createSessions, type Sessions } from '../../auth/sessions.js'
import { createThrottle, type Throttle } from '../../auth/throttle.js'
import type { Notifier } from '../../notify/notifier.js'
import { withDevConsole } from '../../notify/dev-console-notifier.js'
import { createOutboxNotifier } from '../../notify/outbox-notifier.js'

/** What the auth routes share, built once per app from its config and services. */
export interface AuthContext {
  hasher: PasswordHasher
  common: ReadonlySet<string>
  throttle: Throttle
  sessions: Sessions
  notifier: Notifier
  /** Links carry their token in the #fragment: browsers never send it to a server, so no access log holds it. */
  link (page: 'accept-invitation' | 'verify-email' | 'reset-password' | 'sign-in', token?: string): string
}

export interface AuthRoutesOptions { notifier?: Notifier }

export async function createAuthContext (f: FastifyInstance, opts: AuthRoutesOptions): Promise<AuthContext> {
  const a = f.config.auth
  const base = f.config.server.publicUrl.replace(/\/$/, '')
  const params = { memoryCost: a.passwordHashMemory, timeCost: a.passwordHashIterations, parallelism: a.passwordHashParallelism }
  const weak = weakHashProblem(params, f.config.server.env === 'production')
  if (weak) throw new Error(weak)
  return {
    hasher: await createPasswordHasher(params),
    common: loadCommonPasswords(),
    throttle: createThrottle(f.db, {
      accountFree: a.loginFreeAttempts, ipFree: a.loginIpFreeAttempts, maxDelaySeconds: a.loginMaxDelay, windowSeconds: a.loginThrottleWindow
    }),
    sessions: createSessions(f.db, f.tokens, {
      idleSeconds: a.sessionIdleTimeout, maxLifetimeSeconds: a.sessionMaxLifetime, accessTtlSeconds: a.accessTokenTtl
    }),
    notifier: opts.notifier ?? (f.config.server.env === 'development' && !f.config.messages.smtpUrl
      ? withDevConsole(createOutboxNotifier(f.db, f.phi), (line) => process.stdout.write(line + '\n'))
      : createOutboxNotifier(f.db, f.phi)),
    link: (page, token) => `${base}/${page}${token ? `#token=${token}` : ''}`
  }
}
