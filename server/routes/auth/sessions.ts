import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { ANY_ROLE } from '../../../core/access.js'
import { NotFound, Unprocessable } from '../../../core/errors.js'
import { emailOf, findById } from '../../auth/accounts.js'
import { WeakPassword } from '../../auth/errors.js'
import { describeProblem, passwordProblem } from '../../auth/password-policy.js'
import { remainingRecoveryCodes } from '../../auth/recovery-codes.js'
import type { AuthContext } from './context.js'
import { failOnAccount } from './failures.js'
import { ChangePassword, Empty, IdParams, Me, NoQuery, SessionList } from './schemas.js'

// Account basics work before MFA enrolment and before consent: a user must
// always be able to see and end their own sessions.
const basics = { roles: ANY_ROLE, mfa: false, consent: false } as const

/** The signed-in user's account, devices, logout and password change. */
export default async function sessions (fp: FastifyInstance, ctx: AuthContext) {
  const f = fp.withTypeProvider<TypeBoxTypeProvider>()

  f.get('/auth/me', { config: { access: basics }, schema: { querystring: NoQuery, tags: ['Auth'], response: { 200: Me } } }, async (req) => {
    const me = req.user!
    const u = (await findById(f.db, me.id))!
    return {
      id: u.id, role: u.role, emailVerified: u.email_verified_at !== null, mfaEnabled: u.mfa_enabled,
      recoveryCodesLeft: await remainingRecoveryCodes(f.db, u.id), sessionMfa: me.mfa
    }
  })

  f.post('/auth/logout', { config: { access: basics }, schema: { querystring: NoQuery, tags: ['Auth'], body: Empty } }, async (req, reply) => {
    const me = req.user!
    await f.db.transaction(async (tx) => {
      await ctx.sessions.revoke(tx, me.id, me.sessionId, 'logout')
      await req.audit({ action: 'auth.logout', outcome: 'success', targetType: 'session', targetId: me.sessionId }, tx)
    })
    return reply.code(204).send()
  })

  f.get('/auth/sessions', { config: { access: basics }, schema: { querystring: NoQuery, tags: ['Auth'], response: { 200: SessionList } } }, async (req) => {
    const me = req.user!
    const rows = await ctx.sessions.listLive(me.id)
    return {
      sessions: rows.map((s) => ({
        id: s.id, userAgent: s.user_agent, ip: s.ip, mfa: s.mfa, createdAt: s.created_at.toISOString(),
        lastUsedAt: s.last_used_at.toISOString(), expiresAt: s.expires_at.toISOString(), current: s.id === me.sessionId
      }))
    }
  })

  f.delete('/auth/sessions/:id', { config: { access: basics }, schema: { querystring: NoQuery, tags: ['Auth'], params: IdParams } }, async (req, reply) => {
    const me = req.user!
    const done = await f.db.transaction(async (tx) => {
      const ok = await ctx.sessions.revoke(tx, me.id, req.params.id, 'revoked-by-user')
      if (ok) await req.audit({ action: 'auth.session-revoke', outcome: 'success', targetType: 'session', targetId: req.params.id }, tx)
      return ok
    })
    // Someone else's session id answers exactly like an unknown one.
    if (!done) throw new NotFound('Session')
    return reply.code(204).send()
  })

  // Changing the password signs every other device out.
  f.post('/auth/password', { config: { access: basics }, schema: { querystring: NoQuery, tags: ['Auth'], body: ChangePassword } }, async (req, reply) => {
    const me = req.user!
    const u = (await findById(f.db, me.id))!
    if (!u.password_hash || !(await ctx.hasher.verify(u.password_hash, req.body.currentPassword))) {
      await f.db.transaction((tx) => failOnAccount(f, ctx, tx, req, me.id, 'auth.password-change', 'wrong-password'))
      throw new Unprocessable('The current password is wrong')
    }
    const problem = passwordProblem(req.body.newPassword, { mfa: u.mfa_enabled, common: ctx.common })
    if (problem) throw new WeakPassword(describeProblem(problem, u.mfa_enabled))
    const hash = await ctx.hasher.hash(req.body.newPassword)
    await f.db.transaction(async (tx) => {
      await tx.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [me.id, hash])
      const ended = await ctx.sessions.revokeAll(tx, me.id, 'password-change', me.sessionId)
      await req.audit({ action: 'auth.password-change', outcome: 'success', targetType: 'user', targetId: me.id, details: { sessionsEnded: ended } }, tx)
      await ctx.notifier.send({ userId: me.id, to: await emailOf(tx, f.phi, me.id), purpose: 'password-changed', link: ctx.link('sign-in') }, tx)
    })
    return reply.code(204).send()
  })
}
