import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { normaliseEmail } from '../../../core/crypto/phi.js'
import { findByEmail, findById } from '../../auth/accounts.js'
import { InvalidLink, WeakPassword } from '../../auth/errors.js'
import { consumeOneTimeToken, issueOneTimeToken } from '../../auth/one-time-tokens.js'
import { describeProblem, passwordProblem } from '../../auth/password-policy.js'
import type { AuthContext } from './context.js'
import { Accepted, AcceptInvitation as TokenAndPassword, EmailOnly, NoQuery } from './schemas.js'

// Short-lived: a reset link in a mailbox is a sign-in credential.
const RESET_TTL = 3600
const mailLimit = { max: 20, timeWindow: 60_000 }

/**
 * Forgotten password by a single-use mailed link. It replaces only the
 * password: an account with MFA still needs its second factor to sign in.
 */
export default async function passwordReset (fp: FastifyInstance, ctx: AuthContext) {
  const f = fp.withTypeProvider<TypeBoxTypeProvider>()

  // Same answer whether or not the address has an account.
  f.post('/auth/password/forgot', {
    config: { access: 'public', rateLimit: mailLimit },
    schema: { querystring: NoQuery, tags: ['Auth'], body: EmailOnly, response: { 202: Accepted } }
  }, async (req, reply) => {
    await f.db.transaction(async (tx) => {
      const u = await findByEmail(tx, f.phi, req.body.email)
      // Invitees without a password use their invitation; disabled accounts get nothing.
      if (!u || u.disabled || u.password_hash === null) {
        await req.audit({ action: 'auth.password-reset', outcome: 'failure', targetType: 'user', targetId: u?.id ?? null, details: { step: 'requested', reason: u ? 'not-eligible' : 'unknown-account' } }, tx)
        return
      }
      const token = await issueOneTimeToken(tx, 'password-reset', u.id, RESET_TTL, null)
      await ctx.notifier.send({ userId: u.id, to: normaliseEmail(req.body.email), purpose: 'password-reset', link: ctx.link('reset-password', token) }, tx)
      await req.audit({ action: 'auth.password-reset', outcome: 'success', targetType: 'user', targetId: u.id, details: { step: 'requested' } }, tx)
    })
    return reply.code(202).send({ status: 'check-your-email' })
  })

  // Every session ends: whoever knew the old password is signed out.
  f.post('/auth/password/reset', {
    config: { access: 'public' },
    schema: { querystring: NoQuery, tags: ['Auth'], body: TokenAndPassword, response: { 200: Accepted } }
  }, async (req) => {
    const hash = await ctx.hasher.hash(req.body.password)
    const result = await f.db.transaction(async (tx) => {
      const used = await consumeOneTimeToken(tx, 'password-reset', req.body.token)
      if (!used) return 'invalid' as const
      const u = await findById(tx, used.userId, true)
      if (!u || u.disabled) return 'invalid' as const
      // The policy depends on the account (8 with MFA, else 15): a refusal rolls back, keeping the link usable.
      const problem = passwordProblem(req.body.password, { mfa: u.mfa_enabled, common: ctx.common })
      if (problem) throw new WeakPassword(describeProblem(problem, u.mfa_enabled))
      await tx.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [u.id, hash])
      const ended = await ctx.sessions.revokeAll(tx, u.id, 'password-reset')
      await req.audit({ action: 'auth.password-reset', outcome: 'success', actorId: u.id, actorRole: u.role, targetType: 'user', targetId: u.id, details: { step: 'completed', sessionsEnded: ended } }, tx)
      return 'ok' as const
    })
    if (result === 'invalid') throw new InvalidLink()
    return { status: 'password-changed' }
  })
}
