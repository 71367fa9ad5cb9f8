import { createHash, randomBytes } from 'node:crypto'
import ical, { ICalEventStatus } from 'ical-generator'
import type { Queryable } from '../core/db/db.js'
import type { AppointmentStatus } from './appointment-store.js'

export interface FeedEvent { id: string; status: AppointmentStatus; startsAt: Date; endsAt: Date }

const STATUS: Partial<Record<AppointmentStatus, ICalEventStatus>> = {
  proposed: ICalEventStatus.TENTATIVE, booked: ICalEventStatus.CONFIRMED, arrived: ICalEventStatus.CONFIRMED,
  fulfilled: ICalEventStatus.CONFIRMED, cancelled: ICalEventStatus.CANCELLED
}

/**
 * An iCal calendar that may leave the hospital (phones, external calendar
 * services): a neutral title, the time and a sign-in link, never a patient,
 * provider, specialty or reason.
 */
export function renderCalendar (name: string, events: readonly FeedEvent[], publicUrl: string): string {
  const host = new URL(publicUrl).hostname
  const cal = ical({ name, prodId: { company: 'Bedside', product: 'scheduler', language: 'EN' }, ttl: 900 })
  for (const e of events) {
    cal.createEvent({
      id: `${e.id}@${host}`, start: e.startsAt, end: e.endsAt, summary: 'Video visit',
      description: `Sign in to Bedside for details: ${publicUrl}`, url: publicUrl,
      status: STATUS[e.status] ?? ICalEventStatus.CANCELLED, stamp: new Date()
    })
  }
  return cal.toString()
}

export const hashFeedToken = (token: string) => createHash('sha256').update(token, 'utf8').digest()

/** Issues a new feed token for a provider, replacing (revoking) any earlier one. Returns the token once. */
export async function issueFeedToken (q: Queryable, providerId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url')
  await q.query(
    `INSERT INTO calendar_feeds (provider_id, token_hash) VALUES ($1, $2)
     ON CONFLICT (provider_id) DO UPDATE SET token_hash = $2, created_at = now(), revoked_at = NULL`,
    [providerId, hashFeedToken(token)])
  return token
}

export async function revokeFeedToken (q: Queryable, providerId: string): Promise<boolean> {
  const r = await q.query('UPDATE calendar_feeds SET revoked_at = now() WHERE provider_id = $1 AND revoked_at IS NULL', [providerId])
  return r.rowCount > 0
}

/** The provider a live token belongs to, or null. Lookup is by hash, so the database never holds a usable token. */
export async function feedOwner (q: Queryable, token: string): Promise<string | null> {
  const { rows } = await q.query<{ provider_id: string }>(
    `SELECT f.provider_id FROM calendar_feeds f JOIN users u ON u.id = f.provider_id
      WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND u.disabled_at IS NULL`, [hashFeedToken(token)])
  return rows[0]?.provider_id ?? null
}
