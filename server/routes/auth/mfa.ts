import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { ANY_ROLE } from '../../../core/access.js'
import { Conflict, Forbidden, Unprocessable } from '../../../core/errors.js'
import { MFA_REQUIRED_ROLES } from '../../../core/roles.js'
import { emailOf, findById } from '../../auth/accounts.js'
import { normalisePassword, PASSWORD_MIN_SINGLE_FACTOR } from '../../auth/password-policy.js'
import { replaceRecoveryCodes } from '../../auth/recovery-codes.js'
import { claimStep, enrolment, matchingStep, mfaSecretContext, newTotpSecret } from '../../auth/totp.js'
import type { AuthContext } from './context.js'
import { CodeOnly, Confirmed, DisableMfa, Empty, Enrolment, NoQuery, RecoveryCodes } from './schemas.js'
import { failOnAccount } from './failures.js'

// Enrolment must work before MFA is on (that is its point) and before consent.
const beforeMfa = { roles: ANY_ROLE, mfa: false, consent: false } as const

/** TOTP enrolment, confirmation, recovery codes and (for patients) turning MFA off. */
export default async function mfa (fp: FastifyInstance, ctx: AuthContext) {
  const f = fp.withTypeProvider<TypeBoxTypeProvider>()

  const secretOf = async (userId: string): Promise<string | null> => {
    const { rows } = await f.db.query<{ s: Buffer | null }>('SELECT mfa_secret_sealed AS s FROM users WHERE id = $1', [userId])
    return rows[0]?.s ? f.phi.open(rows[0].s, mfaSecretContext(userId)) : null
  }
  /** A current, never-used TOTP code of the user's secret. */
  const checkCode = async (userId: string, secret: string, code: string): Promise<boolean> => {
    const step = matchingStep(secret, code)
    return step !== null && claimStep(f.db, userId, step)
  }

  f.post('/auth/mfa/enrol', { config: { access: beforeMfa }, schema: { querystring: NoQuery, tags: ['Auth'], body: Empty, response: { 200: Enrolment } } }, async (req) => {
    const me = req.user!
    const u = (await findById(f.db, me.id))!
    if (u.mfa_enabled) throw new Conflict('Two-step sign-in is already on')
    const secret = newTotpSecret()
    // Sealed even while pending: a stolen database must not yield working TOTP seeds.
    await f.db.query('UPDATE users SET mfa_secret_sealed = $2, updated_at = now() WHERE id = $1', [me.id, f.phi.seal(secret, mfaSecretContext(me.id))])
    await req.audit({ action: 'auth.mfa-enrol', outcome: 'success', targetType: 'user', targetId: me.id, details: { step: 'started' } })
    return enrolment(secret, f.config.auth.mfaIssuer, `${u.role} account`)
  })

  f.post('/auth/mfa/confirm', { config: { access: beforeMfa }, schema: { querystring: NoQuery, tags: ['Auth'], body: CodeOnly, response: { 200: Confirmed } } }, async (req) => {
    const me = req.user!
    const u = (await findById(f.db, me.id))!
    const secret = await secretOf(me.id)
    if (u.mfa_enabled || !secret) throw new Conflict('Start enrolment first')
    if (!(await checkCode(me.id, secret, req.body.code))) {
      await req.audit({ action: 'auth.mfa-enrol', outcome: 'failure', targetType: 'user', targetId: me.id, details: { step: 'confirm', reason: 'wrong-code' } })
      throw new Unprocessable('The code is wrong or was already used; enter the current code from your app')
    }
    return f.db.transaction(async (tx) => {
      await tx.query('UPDATE users SET mfa_enabled_at = now(), updated_at = now() WHERE id = $1', [me.id])
      const recoveryCodes = await replaceRecoveryCodes(tx, me.id)
      const accessToken = await ctx.sessions.markMfa(tx, me.id, me.sessionId, me.role)
      await req.audit({ action: 'auth.mfa-enrol', outcome: 'success', targetType: 'user', targetId: me.id, details: { step: 'confirmed' } }, tx)
      return { recoveryCodes, accessToken, expiresIn: f.config.auth.accessTokenTtl }
    })
  })

  // Needs a current code (not only a session) so a hijacked session cannot quietly swap them.
  f.post('/auth/mfa/recovery-codes', {
    config: { access: { roles: ANY_ROLE, consent: false } },
    schema: { querystring: NoQuery, tags: ['Auth'], body: CodeOnly, response: { 200: RecoveryCodes } }
  }, async (req) => {
    const me = req.user!
    const secret = await secretOf(me.id)
    const u = (await findById(f.db, me.id))!
    if (!u.mfa_enabled || !secret) throw new Conflict('Two-step sign-in is not on')
    if (!(await checkCode(me.id, secret, req.body.code))) {
      await f.db.transaction((tx) => failOnAccount(f, ctx, tx, req, me.id, 'auth.recovery-codes-replaced', 'wrong-code'))
      throw new Unprocessable('The code is wrong or was already used')
    }
    return f.db.transaction(async (tx) => {
      const recoveryCodes = await replaceRecoveryCodes(tx, me.id)
      await req.audit({ action: 'auth.recovery-codes-replaced', outcome: 'success', targetType: 'user', targetId: me.id }, tx)
      return { recoveryCodes }
    })
  })

  f.post('/auth/mfa/disable', { config: { access: { roles: ANY_ROLE, consent: false } }, schema: { querystring: NoQuery, tags: ['Auth'], body: DisableMfa } }, async (req, reply) => {
    const me = req.user!
    if (MFA_REQUIRED_ROLES.includes(me.role)) throw new Forbidden()
    const u = (await findById(f.db, me.id))!
    const secret = await secretOf(me.id)
    if (!u.mfa_enabled || !secret) throw new Conflict('Two-step sign-in is not on')
    const passwordOk = u.password_hash !== null && await ctx.hasher.verify(u.password_hash, req.body.password)
    // Length before the code, so a refusal here does not use up the user's current code.
    if (passwordOk && [...normalisePassword(req.body.password)].length < PASSWORD_MIN_SINGLE_FACTOR) {
      // A password-only account needs the longer password (NIST SP 800-63B-4).
      throw new Unprocessable(`Change your password to one of at least ${PASSWORD_MIN_SINGLE_FACTOR} characters before turning two-step sign-in off`)
    }
    if (!passwordOk || !(await checkCode(me.id, secret, req.body.code))) {
      await f.db.transaction((tx) => failOnAccount(f, ctx, tx, req, me.id, 'auth.mfa-disable', passwordOk ? 'wrong-code' : 'wrong-password'))
      throw new Unprocessable('The password or code is wrong')
    }
    await f.db.transaction(async (tx) => {
      await tx.query('UPDATE users SET mfa_secret_sealed = NULL, mfa_enabled_at = NULL, updated_at = now() WHERE id = $1', [me.id])
      await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [me.id])
      await tx.query('UPDATE sessions SET mfa = false WHERE user_id = $1', [me.id])
      await req.audit({ action: 'auth.mfa-disable', outcome: 'success', targetType: 'user', targetId: me.id }, tx)
      await ctx.notifier.send({ userId: me.id, to: await emailOf(tx, f.phi, me.id), purpose: 'mfa-disabled', link: ctx.link('sign-in') }, tx)
    })
    return reply.code(204).send()
  })
}
