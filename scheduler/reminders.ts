import { Type, type Static } from '@sinclair/typebox'
import { randomUUID } from 'node:crypto'
import type { PhiCipher } from '../core/crypto/phi.js'
import type { Queryable } from '../core/db/db.js'
import { outboxToContext, type Channel } from '../core/messages/outbox.js'
import { paramsOf, type MessageTemplate, type RenderedMessage } from '../core/messages/template.js'

export type { Channel } from '../core/messages/outbox.js'

export const REMINDER_TEMPLATE = 'appointment-reminder'

/** What a reminder may carry: a time and a link. No provider, specialty, visit type or reason, ever. */
const ReminderParams = Type.Object({ appointmentId: Type.String(), startsAt: Type.String(), timeZone: Type.String(), link: Type.String() })
export type ReminderParams = Static<typeof ReminderParams>

export interface EnqueueInput {
  appointmentId: string; patientId: string; startsAt: Date; timeZone: string
  offsetsMinutes: readonly number[]; publicUrl: string; now: number
}

const prefix = (appointmentId: string) => `appt:${appointmentId}:`
/** Sealing context of a stored contact address: bound to its preference row (column to_sealed). */
export const contactContext = (prefId: string) => ({ table: 'reminder_preferences', column: 'to', row: prefId })

/** Addresses a user gets reminders at, after their opt-outs. */
async function reminderAddresses (tx: Queryable, phi: PhiCipher, userId: string): Promise<Array<{ channel: Channel; to: string }>> {
  const { rows } = await tx.query<{ email_sealed: Buffer; id: string | null; channel: Channel | null; opted_out: boolean | null; to_sealed: Buffer | null }>(
    `SELECT u.email_sealed, p.id, p.channel, p.opted_out, p.to_sealed
       FROM users u LEFT JOIN reminder_preferences p ON p.user_id = u.id WHERE u.id = $1 AND u.disabled_at IS NULL`, [userId])
  if (rows.length === 0) return []
  const pref = (c: Channel) => rows.find((r) => r.channel === c)
  const out: Array<{ channel: Channel; to: string }> = []
  if (!pref('email')?.opted_out) {
    const email = pref('email')
    out.push({
      channel: 'email',
      to: email?.to_sealed && email.id
        ? phi.open(email.to_sealed, contactContext(email.id))
        : phi.open(rows[0].email_sealed, { table: 'users', column: 'email', row: userId })
    })
  }
  const sms = pref('sms')
  if (sms?.id && !sms.opted_out && sms.to_sealed) out.push({ channel: 'sms', to: phi.open(sms.to_sealed, contactContext(sms.id)) })
  return out
}

/**
 * Queues one reminder per offset and channel in the booking's transaction.
 * The dedupe key names the appointment and its start, so a retried booking
 * never queues twice and a rescheduled one queues afresh.
 */
export async function enqueueReminders (tx: Queryable, phi: PhiCipher, i: EnqueueInput): Promise<number> {
  const due = i.offsetsMinutes.map((m) => ({ m, at: i.startsAt.getTime() - m * 60_000 })).filter((d) => d.at > i.now)
  if (due.length === 0) return 0
  const addresses = await reminderAddresses(tx, phi, i.patientId)
  const params: ReminderParams = { appointmentId: i.appointmentId, startsAt: i.startsAt.toISOString(), timeZone: i.timeZone, link: `${i.publicUrl.replace(/\/$/, '')}/` }
  let n = 0
  for (const d of due) {
    for (const a of addresses) {
      const id = randomUUID()
      const r = await tx.query(
        `INSERT INTO outbox (id, user_id, channel, to_sealed, template, params, next_attempt_at, dedupe_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING`,
        [id, i.patientId, a.channel, phi.seal(a.to, outboxToContext(id)), REMINDER_TEMPLATE, JSON.stringify(params),
          new Date(d.at), `${prefix(i.appointmentId)}${i.startsAt.getTime()}:${d.m}:${a.channel}`])
      n += r.rowCount
    }
  }
  return n
}

/** Withdraws reminders not yet handed to a transport (cancel, reschedule). */
export async function cancelReminders (tx: Queryable, appointmentId: string): Promise<number> {
  const r = await tx.query(
    `UPDATE outbox SET status = 'cancelled' WHERE dedupe_key LIKE $1 AND status = 'pending'`, [`${prefix(appointmentId)}%`])
  return r.rowCount
}

/** Renders the message. Only the time and a sign-in link: reminders leave the hospital's systems. */
export function renderReminder (p: ReminderParams, channel: Channel): RenderedMessage {
  const when = new Intl.DateTimeFormat('en-GB', {
    timeZone: p.timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'
  }).format(new Date(p.startsAt))
  const text = channel === 'sms'
    ? `Reminder: you have a video visit on ${when}. Sign in for details: ${p.link}`
    : `Hello,\n\nThis is a reminder that you have a video visit on ${when}.\n\nSign in to see the details and join: ${p.link}\n\nThis message was sent automatically.`
  return { subject: 'Reminder: your upcoming video visit', text }
}

/**
 * The reminder as the message worker sees it. Checked again just before
 * sending: the visit may have been cancelled or moved, or the patient may
 * have opted out of the channel, since it was queued.
 */
export const reminderTemplate: MessageTemplate = {
  render (row) {
    const p = paramsOf(ReminderParams, row)
    return p && renderReminder(p, row.channel)
  },
  async stillWanted (db, row) {
    const p = paramsOf(ReminderParams, row)
    if (!p) return true // let render() mark it failed rather than hide it as cancelled
    const { rows } = await db.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM appointments a WHERE a.id = $1 AND a.status = 'booked' AND a.starts_at = $2)
          AND NOT EXISTS (SELECT 1 FROM reminder_preferences p WHERE p.user_id = $3 AND p.channel = $4 AND p.opted_out) AS ok`,
      [p.appointmentId, p.startsAt, row.user_id, row.channel])
    return rows[0]?.ok === true
  }
}
