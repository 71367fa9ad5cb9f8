import type { Queryable } from '../core/db/db.js'
import { newToken, tokenHash } from './secret-token.js'

export type TicketHolder =
  | { kind: 'user'; userId: string; role: 'patient' | 'provider' | 'staff' }
  | { kind: 'guest'; guestId: string; role: 'guest' }

export interface IssuedTicket { ticket: string; expiresAt: Date }

export type Redeemed =
  | { ok: true; appointmentId: string; holder: TicketHolder }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' }

/**
 * Visit tickets: what a browser trades its HTTPS session for a WebSocket.
 * Opaque (not a JWT, so an access token can never pass for one or the
 * reverse), short-lived, single-use, stored hashed.
 */
export function createTicketStore (db: Queryable, ttlSeconds: number) {
  return {
    async issue (appointmentId: string, holder: TicketHolder): Promise<IssuedTicket> {
      const ticket = newToken('vt')
      const { rows } = await db.query<{ expires_at: Date }>(
        `INSERT INTO visit_tickets (token_hash, appointment_id, user_id, guest_id, role, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at`,
        [tokenHash(ticket), appointmentId, holder.kind === 'user' ? holder.userId : null,
          holder.kind === 'guest' ? holder.guestId : null, holder.role, ttlSeconds])
      return { ticket, expiresAt: new Date(rows[0].expires_at) }
    },

    /** Uses the ticket up whatever the outcome: an expired one cannot be retried either. */
    async redeem (ticket: string): Promise<Redeemed> {
      const hash = tokenHash(ticket)
      const { rows } = await db.query<{ appointment_id: string; user_id: string | null; guest_id: string | null; role: string; fresh: boolean }>(
        `UPDATE visit_tickets SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL
         RETURNING appointment_id, user_id, guest_id, role, expires_at > now() AS fresh`, [hash])
      const r = rows[0]
      if (!r) {
        const seen = await db.query('SELECT 1 FROM visit_tickets WHERE token_hash = $1', [hash])
        return { ok: false, reason: seen.rowCount > 0 ? 'used' : 'unknown' }
      }
      if (!r.fresh) return { ok: false, reason: 'expired' }
      const holder: TicketHolder = r.guest_id
        ? { kind: 'guest', guestId: r.guest_id, role: 'guest' }
        : { kind: 'user', userId: r.user_id as string, role: r.role as 'patient' | 'provider' | 'staff' }
      return { ok: true, appointmentId: r.appointment_id, holder }
    },

    /** Drops tickets that can no longer be used (housekeeping). */
    async prune (): Promise<number> {
      const r = await db.query("DELETE FROM visit_tickets WHERE expires_at < now() - interval '1 day'")
      return r.rowCount
    }
  }
}
export type TicketStore = ReturnType<typeof createTicketStore>
