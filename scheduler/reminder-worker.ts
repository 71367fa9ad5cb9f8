import type { PhiCipher } from '../core/crypto/phi.js'
import type { Db } from '../core/db/db.js'
import { outboxToContext, REMINDER_TEMPLATE, renderReminder, type Channel, type ReminderParams } from './reminders.js'
import { TransportError, type Transports } from './transports.js'

export interface ReminderWorkerOptions {
  db: Db; phi: PhiCipher; transports: Transports
  maxAttempts: number; backoffMs: number; leaseMs: number; batchSize?: number
  onError?: (err: unknown) => void
}

export interface RunResult { sent: number; retried: number; failed: number; skipped: number }

interface Claimed { id: string; user_id: string; channel: Channel; to_sealed: Buffer; params: ReminderParams; attempts: number }

/**
 * Delivers due reminders from the outbox. A batch is claimed in one statement
 * (FOR UPDATE SKIP LOCKED) and leased: marked 'sending' with next_attempt_at
 * pushed to the lease end. Two workers never claim the same row, and a row
 * whose worker died is picked up again once its lease runs out.
 */
export function createReminderWorker (o: ReminderWorkerOptions) {
  const batch = o.batchSize ?? 50
  let timer: NodeJS.Timeout | undefined
  let running: Promise<RunResult> | undefined

  async function claim (): Promise<Claimed[]> {
    const { rows } = await o.db.query<Claimed>(
      `UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
        WHERE o.id IN (SELECT id FROM outbox WHERE template = $1 AND status IN ('pending', 'sending') AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.user_id, o.channel, o.to_sealed, o.params, o.attempts`, [REMINDER_TEMPLATE, batch, o.leaseMs])
    return rows
  }

  /** Still wanted? The visit may have been cancelled, the user may have opted out since it was queued. */
  async function stillWanted (m: Claimed): Promise<boolean> {
    const { rows } = await o.db.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM appointments a WHERE a.id = $1 AND a.status = 'booked' AND a.starts_at = $2)
          AND NOT EXISTS (SELECT 1 FROM reminder_preferences p WHERE p.user_id = $3 AND p.channel = $4 AND p.opted_out) AS ok`,
      [m.params.appointmentId, m.params.startsAt, m.user_id, m.channel])
    return rows[0]?.ok === true
  }

  async function deliver (m: Claimed, r: RunResult): Promise<void> {
    if (!(await stillWanted(m))) {
      await o.db.query(`UPDATE outbox SET status = 'cancelled' WHERE id = $1 AND status = 'sending'`, [m.id])
      r.skipped++
      return
    }
    const transport = o.transports[m.channel]
    try {
      if (!transport) throw new TransportError(`no ${m.channel} transport configured`)
      const { subject, text } = renderReminder(m.params, m.channel)
      await transport.send({ to: o.phi.open(m.to_sealed, outboxToContext(m.id)), subject, text })
      await o.db.query(`UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, [m.id])
      r.sent++
    } catch (err) {
      const why = err instanceof TransportError ? err.message : 'delivery error'
      if (m.attempts >= o.maxAttempts) {
        await o.db.query(`UPDATE outbox SET status = 'failed', last_error = $2 WHERE id = $1`, [m.id, why])
        r.failed++
      } else {
        const delay = o.backoffMs * 2 ** (m.attempts - 1)
        await o.db.query(
          `UPDATE outbox SET status = 'pending', last_error = $2, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1`,
          [m.id, why, delay])
        r.retried++
      }
      if (!(err instanceof TransportError)) o.onError?.(err)
    }
  }

  async function runOnce (): Promise<RunResult> {
    const r: RunResult = { sent: 0, retried: 0, failed: 0, skipped: 0 }
    for (;;) {
      const claimed = await claim()
      await Promise.all(claimed.map((m) => deliver(m, r)))
      if (claimed.length < batch) return r
    }
  }

  return {
    runOnce,
    start (intervalMs: number) {
      const tick = () => {
        running = runOnce().catch((err) => { o.onError?.(err); return { sent: 0, retried: 0, failed: 0, skipped: 0 } })
        void running.finally(() => { if (timer) timer = setTimeout(tick, intervalMs) })
      }
      timer = setTimeout(tick, intervalMs)
    },
    async stop () {
      const t = timer
      timer = undefined
      if (t) clearTimeout(t)
      await running
      for (const tr of Object.values(o.transports)) tr?.close()
    }
  }
}

export type ReminderWorker = ReturnType<typeof createReminderWorker>
