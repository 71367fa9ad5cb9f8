import { createHash } from 'node:crypto'
import type { Queryable } from '../db/db.js'

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'alert'

/** One audit entry. `details` names fields and ids, never PHI values. */
export interface AuditEntry {
  action: string
  outcome: AuditOutcome
  actorId?: string | null
  actorRole?: string | null
  targetType?: string | null
  targetId?: string | null
  requestId?: string | null
  ip?: string | null
  details?: Record<string, unknown>
}

/**
 * Appends an entry. The database assigns seq, time and hash (see the
 * audit_chain trigger), so a caller cannot forge a place in the chain. Pass the
 * transaction of the change being audited so both land or neither does.
 */
export async function appendAudit (q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (actor_id, actor_role, action, target_type, target_id, outcome, request_id, ip, details, prev_hash, hash, seq, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '\\x', '\\x', 0, now())`,
    [e.actorId ?? null, e.actorRole ?? null, e.action, e.targetType ?? null, e.targetId ?? null, e.outcome,
      e.requestId ?? null, e.ip ?? null, JSON.stringify(e.details ?? {})]
  )
}

interface ChainRow {
  seq: string; at: string; actor_id: string | null; actor_role: string | null; action: string
  target_type: string | null; target_id: string | null; outcome: string; request_id: string | null
  ip: string | null; details: string; prev_hash: Buffer | Uint8Array; hash: Buffer | Uint8Array
}

export interface VerifyResult { ok: boolean; checked: number; firstBroken?: { seq: string; reason: string } }

/** The canonical text, rebuilt here independently of the SQL function that wrote it. */
export function canonical (r: Omit<ChainRow, 'prev_hash' | 'hash'>): string {
  return [r.seq, r.at, r.actor_id ?? '', r.actor_role ?? '', r.action, r.target_type ?? '', r.target_id ?? '',
    r.outcome, r.request_id ?? '', r.ip ?? '', r.details].join('\u001f')
}

const ZERO = Buffer.alloc(32)

/** Walks the whole chain in seq order and names the first entry that does not fit. */
export async function verifyAuditChain (q: Queryable, batch = 1000): Promise<VerifyResult> {
  let prev = ZERO
  let expectedSeq = 1n
  let checked = 0
  for (;;) {
    const { rows } = await q.query<ChainRow>(
      `SELECT seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, actor_id::text, actor_role,
              action, target_type, target_id, outcome, request_id, ip, details::text AS details, prev_hash, hash
         FROM audit_log WHERE audit_log.seq >= $1 ORDER BY audit_log.seq LIMIT $2`, [expectedSeq.toString(), batch])
    if (rows.length === 0) return { ok: true, checked }
    for (const r of rows) {
      const broken = (reason: string): VerifyResult => ({ ok: false, checked, firstBroken: { seq: r.seq, reason } })
      if (BigInt(r.seq) !== expectedSeq) return broken(`expected seq ${expectedSeq}, found ${r.seq} (entry missing)`)
      const prevHash = Buffer.from(r.prev_hash)
      if (!prevHash.equals(prev)) return broken('prev_hash does not match the previous entry')
      const hash = createHash('sha256').update(prevHash).update(canonical(r), 'utf8').digest()
      if (!hash.equals(Buffer.from(r.hash))) return broken('hash does not match the entry\'s contents')
      prev = hash
      expectedSeq++
      checked++
    }
  }
}
