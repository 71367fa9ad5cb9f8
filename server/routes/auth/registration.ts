import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { normaliseEmail } from '../../../core/crypto/phi.js'
import { emailOf, findByEmail, insertUser } from '../../auth/accounts.js'
import { InvalidLink, WeakPassword } from '../../auth/errors.js'
import { consumeOneTimeToken, issueOneTimeToken } from '../../auth/one-time-tokens.js'
import { describeProblem, passwordProblem } from '../../auth/password-policy.js'
import type { AuthContext } from './context.js'
import { Accepted, AcceptInvitation, Credentials, EmailOnly, NoQuery, TokenOnly } from './schemas.js'

// Registration and resend send mail: a tighter per-IP limit than the global one.
const mailLimit = { max: 20, timeWindow: 60_000 }
const PENDING = { status: 'check-your-email' }

/** Patient self-registration, email verification and accepting an invitation. */
export default async function registration (fp: FastifyInstance, ctx: AuthContext) {
  const f = fp.withTypeProvider<TypeBoxTypeProvider>()
  const ttl = f.config.auth

  const checkPassword = (password: string, mfa: boolean) => {
    const problem = passwordProblem(password, { mfa, common: ctx.common })
    if (problem) throw new WeakPassword(describeProblem(problem, mfa))
  }

  // Same answer whether or not the address already has an account; the
  // owner of an existing one is told by mail instead of the caller.
  f.post('/auth/register', {
    config: { access: 'public', rateLimit: mailLimit },
    schema: { querystring: NoQuery, tags: ['Auth'], body: Credentials, response: { 202: Accepted } }
  }, async (req, reply) => {
    checkPassword(req.body.password, false)
    const hash = await ctx.hasher.hash(req.body.password)
    await f.db.transaction(async (tx) => {
      const id = await insertUser(tx, f.phi, { role: 'patient', email: req.body.email, passwordHash: hash })
      if (id) {
        const token = await issueOneTimeToken(tx, 'verification', id, ttl.verificationTtl, null)
        await ctx.notifier.send({ userId: id, to: normaliseEmail(req.body.email), purpose: 'verify-email', link: ctx.link('verify-email', token) }, tx)
        await req.audit({ action: 'auth.register', outcome: 'success', actorId: id, actorRole: 'patient', targetType: 'user', targetId: id }, tx)
        return
      }
      const existing = await findByEmail(tx, f.phi, req.body.email)
      if (existing) {
        await ctx.notifier.send({ userId: existing.id, to: normaliseEmail(req.body.email), purpose: 'registration-attempt', link: ctx.link('sign-in') }, tx)
      }
      await req.audit({ action: 'auth.register', outcome: 'failure', targetType: 'user', targetId: existing?.id ?? null, details: { reason: 'exists' } }, tx)
    })
    return reply.code(202).send(PENDING)
  })

  f.post('/auth/verify-email', {
    config: { access: 'public' },
    schema: { querystring: NoQuery, tags: ['Auth'], body: TokenOnly, response: { 200: Accepted } }
  }, async (req) => {
    const ok = await f.db.transaction(async (tx) => {
      const used = await consumeOneTimeToken(tx, 'verification', req.body.token)
      if (!used) return false
      await tx.query('UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1', [used.userId])
      await req.audit({ action: 'auth.email-verified', outcome: 'success', actorId: used.userId, targetType: 'user', targetId: used.userId }, tx)
      return true
    })
    if (!ok) throw new InvalidLink()
    return { status: 'verified' }
  })

  f.post('/auth/verify-email/resend', {
    config: { access: 'public', rateLimit: mailLimit },
    schema: { querystring: NoQuery, tags: ['Auth'], body: EmailOnly, response: { 202: Accepted } }
  }, async (req, reply) => {
    await f.db.transaction(async (tx) => {
      const u = await findByEmail(tx, f.phi, req.body.email)
      if (!u || u.email_verified_at || u.disabled || u.password_hash === null) return
      const token = await issueOneTimeToken(tx, 'verification', u.id, ttl.verificationTtl, null)
      await ctx.notifier.send({ userId: u.id, to: await emailOf(tx, f.phi, u.id), purpose: 'verify-email', link: ctx.link('verify-email', token) }, tx)
    })
    return reply.code(202).send(PENDING)
  })

  // The invitation link proves the mailbox, so accepting it also verifies the email.
  f.post('/auth/invitations/accept', {
    config: { access: 'public' },
    schema: { querystring: NoQuery, tags: ['Auth'], body: AcceptInvitation, response: { 200: Accepted } }
  }, async (req) => {
    // Checked before the token is used up, so a refused password does not burn the link.
    checkPassword(req.body.password, false)
    const hash = await ctx.hasher.hash(req.body.password)
    const ok = await f.db.transaction(async (tx) => {
      const used = await consumeOneTimeToken(tx, 'invitation', req.body.token)
      if (!used) return false
      const { rows } = await tx.query<{ role: string }>(
        `UPDATE users SET password_hash = $2, email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
          WHERE id = $1 AND disabled_at IS NULL RETURNING role`, [used.userId, hash])
      if (rows.length === 0) return false
      await req.audit({
        action: 'invitation.accept', outcome: 'success', actorId: used.userId, actorRole: rows[0].role,
        targetType: 'user', targetId: used.userId, details: { invitedBy: used.createdBy }
      }, tx)
      return true
    })
    if (!ok) {
      await req.audit({ action: 'invitation.accept', outcome: 'failure', details: { reason: 'invalid-token' } })
      throw new InvalidLink()
    }
    return { status: 'accepted' }
  })
}
