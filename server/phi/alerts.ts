import { randomUUID } from 'node:crypto'
import type { PhiCipher } from '../../core/crypto/phi.js'
import type { Queryable } from '../../core/db/db.js'
import { outboxToContext } from '../../core/messages/outbox.js'

/**
 * Tells every active admin that something needs a look, through the outbox
 * (the mail sender delivers it). The message carries a kind and ids, never PHI:
 * the admin reads the details in the audit log.
 */
export async function notifyAdmins (q: Queryable, phi: PhiCipher, template: string,
  params: Record<string, string | number>, dedupe: string): Promise<number> {
  const { rows } = await q.query<{ id: string; email_sealed: Buffer }>(
    `SELECT id, email_sealed FROM users WHERE role = 'admin' AND disabled_at IS NULL`)
  let queued = 0
  for (const admin of rows) {
    let to: string
    try {
      to = phi.open(Buffer.from(admin.email_sealed), { table: 'users', column: 'email', row: admin.id })
    } catch {
      continue // the audit entry stands; an admin whose address cannot be read is not told
    }
    const id = randomUUID()
    const r = await q.query(
      `INSERT INTO outbox (id, user_id, channel, to_sealed, template, params, dedupe_key)
       VALUES ($1, $2, 'email', $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING`,
      [id, admin.id, phi.seal(to, outboxToContext(id)), template, JSON.stringify(params), `${dedupe}:${admin.id}`])
    queued += r.rowCount
  }
  return queued
}

export interface UnusualAccessOptions { threshold: number; windowSeconds: number }

/**
 * Counts the distinct patients an actor opened within the window (from the
 * audit log itself, so every API process sees the same count). Over the
 * threshold: one alert per actor per window, audited and sent to admins.
 * Returns the alert's details when one was raised.
 */
export async function checkUnusualAccess (q: Queryable, phi: PhiCipher, actorId: string, o: UnusualAccessOptions,
  audit: (details: Record<string, unknown>) => Promise<void>): Promise<{ distinctPatients: number } | null> {
  const { rows } = await q.query<{ n: string; alerted: boolean }>(
    `SELECT (SELECT count(DISTINCT target_id) FROM audit_log
              WHERE actor_id = $1 AND target_type = 'patient' AND outcome = 'success'
                AND action IN ('phi.read', 'phi.export', 'phi.change') AND at > now() - make_interval(secs => $2))::text AS n,
            EXISTS (SELECT 1 FROM audit_log WHERE actor_id = $1 AND action = 'phi.unusual_access'
                     AND at > now() - make_interval(secs => $2)) AS alerted`,
    [actorId, o.windowSeconds])
  const n = Number(rows[0].n)
  if (n <= o.threshold || rows[0].alerted) return null
  await audit({ distinctPatients: n, threshold: o.threshold, windowSeconds: o.windowSeconds })
  const bucket = Math.floor(Date.now() / 1000 / o.windowSeconds)
  await notifyAdmins(q, phi, 'phi-unusual-access', { actorId, distinctPatients: n, windowSeconds: o.windowSeconds },
    `phi-unusual-access:${actorId}:${bucket}`)
  return { distinctPatients: n }
}
