import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Conflict, NotFound } from '../../../core/errors.js'
import { findById } from '../../auth/accounts.js'
import { inviteStaff } from '../../auth/invitations.js'
import { unlockUser } from '../../auth/lockout.js'
import type { AuthContext } from './context.js'
import { Empty, IdParams, InvitationCreated, Invite, NoQuery, RoleChange, UserRole } from './schemas.js'

const admin = { roles: ['admin'] } as const

/** Admin side of accounts: invitations, unlocking, role changes. */
export default async function adminUsers (fp: FastifyInstance, ctx: AuthContext) {
  const f = fp.withTypeProvider<TypeBoxTypeProvider>()

  f.post('/admin/invitations', {
    config: { access: admin },
    schema: { querystring: NoQuery, tags: ['Admin'], body: Invite, response: { 201: InvitationCreated } }
  }, async (req, reply) => {
    const me = req.user!
    const r = await f.db.transaction((tx) => inviteStaff(tx, f.phi, ctx, {
      email: req.body.email, role: req.body.role, ttlSeconds: f.config.auth.invitationTtl,
      actor: { id: me.id, role: me.role, requestId: req.id, ip: req.ip, via: 'api' }
    }))
    if (!r) throw new Conflict('An account with this email already exists')
    return reply.code(201).send({ userId: r.userId, role: req.body.role, expiresAt: r.expiresAt.toISOString() })
  })

  f.post('/admin/users/:id/unlock', { config: { access: admin }, schema: { querystring: NoQuery, tags: ['Admin'], params: IdParams, body: Empty } }, async (req, reply) => {
    const me = req.user!
    const ok = await f.db.transaction((tx) => unlockUser(tx, req.params.id, { actorId: me.id, actorRole: me.role, requestId: req.id, ip: req.ip, via: 'api' }))
    if (!ok) throw new NotFound('User')
    return reply.code(204).send()
  })

  // Tokens carry the role, so every session of the user ends and they sign in again under the new one.
  f.put('/admin/users/:id/role', {
    config: { access: admin },
    schema: { querystring: NoQuery, tags: ['Admin'], params: IdParams, body: RoleChange, response: { 200: UserRole } }
  }, async (req) => {
    const me = req.user!
    if (req.params.id === me.id) throw new Conflict('Admins cannot change their own role')
    return f.db.transaction(async (tx) => {
      const u = await findById(tx, req.params.id, true)
      if (!u) throw new NotFound('User')
      if (u.role !== req.body.role) {
        await tx.query('UPDATE users SET role = $2, updated_at = now() WHERE id = $1', [u.id, req.body.role])
        const ended = await ctx.sessions.revokeAll(tx, u.id, 'role-change')
        await req.audit({ action: 'user.role-change', outcome: 'success', targetType: 'user', targetId: u.id, details: { from: u.role, to: req.body.role, sessionsEnded: ended } }, tx)
      }
      return { id: u.id, role: req.body.role }
    })
  })
}
