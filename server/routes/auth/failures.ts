import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Queryable } from '../../../core/db/db.js'
import { emailOf } from '../../auth/accounts.js'
import { recordFailure } from '../../auth/lockout.js'
import type { AuthContext } from './context.js'

/**
 * A wrong password or second factor for a known account, wherever it is
 * typed (sign-in, or re-entered inside a session, which a stolen session
 * could otherwise use to guess): counted towards LOCKOUT_THRESHOLD, audited,
 * and on lockout the owner is told by mail.
 */
export async function failOnAccount (f: FastifyInstance, ctx: AuthContext, tx: Queryable, req: FastifyRequest,
  userId: string, action: string, reason: string): Promise<void> {
  const a = f.config.auth
  const lockedNow = await recordFailure(tx, userId, a.lockoutThreshold, a.lockoutDuration)
  await req.audit({ action, outcome: 'failure', targetType: 'user', targetId: userId, details: { reason } }, tx)
  if (lockedNow) {
    await req.audit({ action: 'auth.lockout', outcome: 'alert', targetType: 'user', targetId: userId, details: { failures: a.lockoutThreshold, seconds: a.lockoutDuration } }, tx)
    await ctx.notifier.send({ userId, to: await emailOf(tx, f.phi, userId), purpose: 'account-locked' }, tx)
  }
}
