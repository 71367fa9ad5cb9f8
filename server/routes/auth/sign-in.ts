import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Queryable } from '../../../core/db/db.js'
import { MFA_REQUIRED_ROLES, type Role } from '../../../core/roles.js'
import { emailIndex, findByEmail, findById } from '../../auth/accounts.js'
import { EmailUnverified, RefreshFailed, SecondFactorFailed, SignInFailed, throttled } from '../../auth/errors.js'
import { recordSuccess } from '../../auth/lockout.js'
import { consumeRecoveryCode, remainingRecoveryCodes } from '../../auth/recovery-codes.js'
import { hashToken, newToken } from '../../auth/secrets.js'
import { accountKey, ipKey } from '../../auth/throttle.js'
import { claimStep, matchingStep, mfaSecretContext } from '../../auth/totp.js'
import type { AuthContext } from './context.js'
import { failOnAccount } from './failures.js'
import { Credentials, NoQuery, RefreshBody, SecondFactor, type SecondFactorBody, SignInResult, Tokens } from './schemas.js'

const CHALLENGE_TTL = 300
const CHALLENGE_ATTEMPTS = 5
// Kept here too for callers that imported it from this module.
export { mfaSecretContext }

/** Password step, second-factor step and refresh-token rotation. */
export default async function signIn (fp: FastifyInstance, ctx: AuthContext) {
  const f = fp.withTypeProvider<TypeBoxTypeProvider>()
  const client = (req: FastifyRequest) => ({ userAgent: req.headers['user-agent'], ip: req.ip })

  const startSession = async (tx: Queryable, req: FastifyRequest, u: { id: string; role: Role }, mfa: boolean, method: string) => {
    const tokens = await ctx.sessions.create(tx, u, mfa, client(req))
    await req.audit({
      action: 'auth.sign-in', outcome: 'success', actorId: u.id, actorRole: u.role,
      targetType: 'session', targetId: tokens.sessionId, details: { method, mfa }
    }, tx)
    return { status: 'signed-in' as const, ...tokens, mfaEnrolmentRequired: !mfa && MFA_REQUIRED_ROLES.includes(u.role) }
  }

  f.post('/auth/sign-in', {
    config: { access: 'public' },
    schema: { querystring: NoQuery, tags: ['Auth'], body: Credentials, response: { 200: SignInResult } }
  }, async (req) => {
    const keys = { account: accountKey(emailIndex(f.phi, req.body.email)), ip: ipKey(req.ip) }
    const wait = await ctx.throttle.waitSeconds(keys)
    if (wait > 0) {
      await req.audit({ action: 'auth.sign-in', outcome: 'denied', details: { reason: 'throttled', retryAfter: wait } })
      throw throttled(wait)
    }
    const u = await findByEmail(f.db, f.phi, req.body.email)
    // Unknown accounts and invitees without a password still cost one argon2 verification.
    const ok = u?.password_hash ? await ctx.hasher.verify(u.password_hash, req.body.password) : await ctx.hasher.verifyDummy(req.body.password)
    if (!u || !ok || u.locked || u.disabled) {
      await f.db.transaction(async (tx) => {
        await ctx.throttle.fail(keys, tx)
        if (!u) await req.audit({ action: 'auth.sign-in', outcome: 'failure', details: { reason: 'unknown-account' } }, tx)
        else if (u.locked || u.disabled) {
          await req.audit({ action: 'auth.sign-in', outcome: 'failure', targetType: 'user', targetId: u.id, details: { reason: u.disabled ? 'disabled' : 'locked' } }, tx)
        } else await failOnAccount(f, ctx, tx, req, u.id, 'auth.sign-in', u.password_hash ? 'wrong-password' : 'no-password')
      })
      throw new SignInFailed()
    }
    if (!u.email_verified_at) {
      await req.audit({ action: 'auth.sign-in', outcome: 'failure', targetType: 'user', targetId: u.id, details: { reason: 'email-unverified' } })
      throw new EmailUnverified()
    }
    return f.db.transaction(async (tx) => {
      // With MFA on, the password alone is only half a success: resetting the
      // failure count here would let a password holder guess codes forever.
      if (!u.mfa_enabled) {
        await recordSuccess(tx, u.id)
        await ctx.throttle.clearAccount(keys.account, tx)
      }
      // Housekeeping rides on successful sign-ins: indexed, and bounded by the windows.
      await ctx.throttle.sweep(tx)
      await tx.query("DELETE FROM mfa_challenges WHERE expires_at < now() - interval '1 day'")
      if (ctx.hasher.needsRehash(u.password_hash!)) {
        await tx.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [u.id, await ctx.hasher.hash(req.body.password)])
        await req.audit({ action: 'auth.password-rehash', outcome: 'success', actorId: u.id, actorRole: u.role, targetType: 'user', targetId: u.id }, tx)
      }
      if (!u.mfa_enabled) return startSession(tx, req, u, false, 'password')
      const challenge = newToken()
      await tx.query(
        `INSERT INTO mfa_challenges (token_hash, user_id, expires_at, user_agent, ip) VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5)`,
        [hashToken(challenge), u.id, CHALLENGE_TTL, req.headers['user-agent']?.slice(0, 256) ?? null, req.ip])
      return { status: 'mfa-required' as const, challenge, expiresIn: CHALLENGE_TTL }
    })
  })

  f.post('/auth/sign-in/mfa', {
    config: { access: 'public' },
    schema: { querystring: NoQuery, tags: ['Auth'], body: SecondFactor, response: { 200: Tokens } }
  }, async (req) => {
    const body: SecondFactorBody = req.body
    const result = await f.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ user_id: string }>(
        `UPDATE mfa_challenges SET attempts = attempts + 1 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2
         RETURNING user_id`, [hashToken(body.challenge), CHALLENGE_ATTEMPTS])
      if (rows.length === 0) return null
      const u = await findById(tx, rows[0].user_id, true)
      if (!u || u.locked || u.disabled || !u.mfa_enabled) return null
      let method: string
      if ('code' in body) {
        method = 'totp'
        const secret = await tx.query<{ s: Buffer }>('SELECT mfa_secret_sealed AS s FROM users WHERE id = $1', [u.id])
        const step = matchingStep(f.phi.open(secret.rows[0].s, mfaSecretContext(u.id)), body.code)
        if (step === null || !(await claimStep(tx, u.id, step))) {
          await failOnAccount(f, ctx, tx, req, u.id, 'auth.mfa', step === null ? 'wrong-code' : 'replayed-code')
          return null
        }
      } else {
        method = 'recovery-code'
        if (!(await consumeRecoveryCode(tx, u.id, body.recoveryCode))) {
          await failOnAccount(f, ctx, tx, req, u.id, 'auth.mfa', 'wrong-recovery-code')
          return null
        }
        await req.audit({
          action: 'auth.recovery-code-used', outcome: 'success', actorId: u.id, actorRole: u.role,
          targetType: 'user', targetId: u.id, details: { remaining: await remainingRecoveryCodes(tx, u.id) }
        }, tx)
      }
      await tx.query('UPDATE mfa_challenges SET used_at = now() WHERE token_hash = $1', [hashToken(body.challenge)])
      await recordSuccess(tx, u.id)
      await ctx.throttle.clearAccount(accountKey(u.email_index), tx)
      return startSession(tx, req, u, true, method)
    })
    if (!result) throw new SecondFactorFailed()
    return result
  })

  f.post('/auth/refresh', {
    config: { access: 'public' },
    schema: { querystring: NoQuery, tags: ['Auth'], body: RefreshBody, response: { 200: Tokens } }
  }, async (req) => {
    const r = await ctx.sessions.refresh(req.body.refreshToken)
    if (r.kind === 'ok') return { status: 'signed-in' as const, ...r.tokens, mfaEnrolmentRequired: !r.tokens.mfa && MFA_REQUIRED_ROLES.includes(r.role) }
    if (r.kind === 'reused') {
      await req.audit({
        action: 'auth.refresh-reuse', outcome: 'alert', actorId: r.userId, actorRole: r.role,
        targetType: 'session', targetId: r.sessionId, details: { revoked: 'session-family' }
      })
    } else if (r.kind === 'expired') {
      await req.audit({ action: 'auth.session-expired', outcome: 'denied', actorId: r.userId, actorRole: r.role, targetType: 'session', targetId: r.sessionId, details: { reason: r.reason } })
    }
    throw new RefreshFailed()
  })
}
