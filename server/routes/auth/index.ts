import type { FastifyInstance } from 'fastify'
import adminUsers from './admin-users.js'
import consent from './consent.js'
import { createAuthContext, type AuthRoutesOptions } from './context.js'
import mfa from './mfa.js'
import passwordReset from './password-reset.js'
import registration from './registration.js'
import sessions from './sessions.js'
import signIn from './sign-in.js'

/** Accounts and sign-in: registration, invitations, sign-in with MFA, sessions, consent. */
export default async function authRoutes (f: FastifyInstance, opts: AuthRoutesOptions) {
  const ctx = await createAuthContext(f, opts)
  await f.register(registration, ctx)
  await f.register(signIn, ctx)
  await f.register(mfa, ctx)
  await f.register(sessions, ctx)
  await f.register(passwordReset, ctx)
  await f.register(consent, ctx)
  await f.register(adminUsers, ctx)
}
