import { randomUUID } from 'node:crypto'
import type { PhiCipher } from '../core/crypto/phi.js'
import type { Queryable } from '../core/db/db.js'
import type { GuestKind } from './protocol.js'
import { newToken, tokenHash } from './secret-token.js'

export interface GuestInvite { inviteId: string; inviteToken: string; expiresAt: Date }
export interface Guest { guestId: string; appointmentId: string; guestKind: GuestKind; label: string }

export type RedeemedInvite = { ok: true; guest: Guest } | { ok: false; reason: 'unknown' | 'used' | 'expired' }

const labelCtx = (id: string) => ({ table: 'visit_guests', column: 'label', row: id })

/** One-time guest invites: the link's secret is redeemed once for a visit ticket. */
export function createGuestStore (db: Queryable, phi: PhiCipher, ttlSeconds: number) {
  return {
    async invite (appointmentId: string, invitedBy: string, guestKind: GuestKind, label: string): Promise<GuestInvite> {
      const id = randomUUID()
      const inviteToken = newToken('gi')
      const { rows } = await db.query<{ expires_at: Date }>(
        `INSERT INTO visit_guests (id, appointment_id, invited_by, guest_kind, label_sealed, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING expires_at`,
        [id, appointmentId, invitedBy, guestKind, phi.seal(label, labelCtx(id)), tokenHash(inviteToken), ttlSeconds])
      return { inviteId: id, inviteToken, expiresAt: new Date(rows[0].expires_at) }
    },

    /** The appointment an unused invite is for, without using it up (to check the visit is open first). */
    async appointmentOf (inviteToken: string): Promise<string | null> {
      const { rows } = await db.query<{ appointment_id: string }>(
        'SELECT appointment_id FROM visit_guests WHERE token_hash = $1 AND redeemed_at IS NULL AND revoked_at IS NULL', [tokenHash(inviteToken)])
      return rows[0]?.appointment_id ?? null
    },

    async redeem (inviteToken: string): Promise<RedeemedInvite> {
      const hash = tokenHash(inviteToken)
      const { rows } = await db.query<{ id: string; appointment_id: string; guest_kind: GuestKind; label_sealed: Buffer; fresh: boolean }>(
        `UPDATE visit_guests SET redeemed_at = now()
          WHERE token_hash = $1 AND redeemed_at IS NULL AND revoked_at IS NULL
          RETURNING id, appointment_id, guest_kind, label_sealed, expires_at > now() AS fresh`, [hash])
      const r = rows[0]
      if (!r) {
        const seen = await db.query('SELECT 1 FROM visit_guests WHERE token_hash = $1', [hash])
        return { ok: false, reason: seen.rowCount > 0 ? 'used' : 'unknown' }
      }
      if (!r.fresh) return { ok: false, reason: 'expired' }
      return { ok: true, guest: toGuest(phi, r) }
    },

    async get (guestId: string): Promise<Guest | null> {
      const { rows } = await db.query<{ id: string; appointment_id: string; guest_kind: GuestKind; label_sealed: Buffer }>(
        'SELECT id, appointment_id, guest_kind, label_sealed FROM visit_guests WHERE id = $1 AND revoked_at IS NULL', [guestId])
      return rows[0] ? toGuest(phi, rows[0]) : null
    }
  }
}
export type GuestStore = ReturnType<typeof createGuestStore>

function toGuest (phi: PhiCipher, r: { id: string; appointment_id: string; guest_kind: GuestKind; label_sealed: Buffer }): Guest {
  return { guestId: r.id, appointmentId: r.appointment_id, guestKind: r.guest_kind, label: phi.open(Buffer.from(r.label_sealed), labelCtx(r.id)) }
}
