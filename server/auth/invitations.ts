import { appendAudit } from '../../core/audit/audit-log.js'
import { normaliseEmail, type PhiCipher } from '../../core/crypto/phi.js'
import type { Queryable } from '../../core/db/db.js'
import type { Notifier } from '../notify/notifier.js'
import { findByEmail, insertUser } from './accounts.js'
import { issueOneTimeToken } from './one-time-tokens.js'

export type StaffRole = 'provider' | 'staff' | 'admin'

export interface InviteRequest {
  email: string
  role: StaffRole
  ttlSeconds: number
  actor: { id: string | null; role: string | null; requestId?: string; ip?: string; via: 'api' | 'cli' }
}

export interface InviteDeps {
  notifier: Notifier
  link (page: 'accept-invitation', token: string): string
}

/**
 * Creates a password-less account and a single-use invitation for it, mailed
 * through the notifier and audited, in the caller's transaction. An invitee
 * who never accepted may be invited again (the old link stops working).
 * Returns null when the email belongs to an account that is already in use.
 * The link is returned too, for the CLI's first admin (there is no mail yet).
 */
export async function inviteStaff (tx: Queryable, phi: PhiCipher, deps: InviteDeps, r: InviteRequest): Promise<{ userId: string; expiresAt: Date; link: string } | null> {
  let userId = await insertUser(tx, phi, { role: r.role, email: r.email, passwordHash: null })
  let reissued = false
  if (!userId) {
    const existing = await findByEmail(tx, phi, r.email)
    if (!existing || existing.password_hash !== null || existing.disabled) return null
    await tx.query('UPDATE users SET role = $2, updated_at = now() WHERE id = $1', [existing.id, r.role])
    userId = existing.id
    reissued = true
  }
  const token = await issueOneTimeToken(tx, 'invitation', userId, r.ttlSeconds, r.actor.id)
  const link = deps.link('accept-invitation', token)
  await deps.notifier.send({ userId, to: normaliseEmail(r.email), purpose: 'invitation', link }, tx)
  await appendAudit(tx, {
    action: 'invitation.create', outcome: 'success', actorId: r.actor.id, actorRole: r.actor.role,
    targetType: 'user', targetId: userId, requestId: r.actor.requestId ?? null, ip: r.actor.ip ?? null,
    details: { role: r.role, via: r.actor.via, reissued }
  })
  return { userId, expiresAt: new Date(Date.now() + r.ttlSeconds * 1000), link }
}
