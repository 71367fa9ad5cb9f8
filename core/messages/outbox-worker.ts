import type { PhiCipher } from '../crypto/phi.js'
import type { Db } from '../db/db.js'
import { outboxToContext, type OutboxRow } from './outbox.js'
import type { MessageTemplate } from './template.js'
import { TransportError, type Transports } from './transports.js'

export interface OutboxWorkerOptions {
  db: Db; phi: PhiCipher; transports: Transports
  /** Template name (the outbox row's `template`) to its renderer. Rows of other templates are left alone. */
  templates: Readonly<Record<string, MessageTemplate>>
  maxAttempts: number; backoffMs: number; leaseMs: number; batchSize?: number
  onError?: (err: unknown) => void
}

export interface RunResult { sent: number; retried: number; failed: number; skipped: number }

const empty = (): RunResult => ({ sent: 0, retried: 0, failed: 0, skipped: 0 })

/**
 * Delivers due outbox rows of the registered templates. A batch is claimed in
 * one statement (FOR UPDATE SKIP LOCKED) and leased: marked 'sending' with
 * next_attempt_at pushed to the lease end. Two workers never claim the same
 * row, and a row whose worker died is picked up again once its lease runs out.
 */
export function createOutboxWorker (o: OutboxWorkerOptions) {
  const batch = o.batchSize ?? 50
  const names = Object.keys(o.templates)
  let timer: NodeJS.Timeout | undefined
  let running: Promise<RunResult> | undefined

  async function claim (): Promise<OutboxRow[]> {
    const { rows } = await o.db.query<OutboxRow>(
      `UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
        WHERE o.id IN (SELECT id FROM outbox WHERE template = ANY($1::text[]) AND status IN ('pending', 'sending') AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.user_id, o.channel, o.to_sealed, o.template, o.params, o.attempts`, [names, batch, o.leaseMs])
    return rows
  }

  const finish = (id: string, status: 'sent' | 'cancelled' | 'failed', why: string | null = null) =>
    o.db.query(`UPDATE outbox SET status = $2::text, last_error = $3, sent_at = CASE WHEN $2::text = 'sent' THEN now() ELSE sent_at END WHERE id = $1`,
      [id, status, why])

  async function deliver (m: OutboxRow, r: RunResult): Promise<void> {
    const template = o.templates[m.template]
    try {
      if (template.stillWanted && !(await template.stillWanted(o.db, m))) {
        await finish(m.id, 'cancelled')
        r.skipped++
        return
      }
      const transport = o.transports[m.channel]
      if (!transport) throw new TransportError(`no ${m.channel} transport configured`)
      const message = template.render(m, o.phi)
      if (!message) {
        await finish(m.id, 'failed', `${m.template} message could not be rendered`)
        r.failed++
        return
      }
      await transport.send({ to: o.phi.open(m.to_sealed, outboxToContext(m.id)), ...message })
      await finish(m.id, 'sent')
      r.sent++
    } catch (err) {
      // Only a TransportError's text is known to hold no address or body; anything else is stored generically.
      const why = err instanceof TransportError ? err.message : 'delivery error'
      if (m.attempts >= o.maxAttempts) {
        await finish(m.id, 'failed', why)
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
    const r = empty()
    if (names.length === 0) return r
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
        running = runOnce().catch((err) => { o.onError?.(err); return empty() })
        void running.finally(() => { if (timer) timer = setTimeout(tick, intervalMs) })
      }
      timer = setTimeout(tick, intervalMs)
    },
    /** Stops polling, waits for a pass in progress, then closes the transports (the worker owns them). */
    async stop () {
      const t = timer
      timer = undefined
      if (t) clearTimeout(t)
      await running
      for (const tr of Object.values(o.transports)) tr?.close()
    }
  }
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>
