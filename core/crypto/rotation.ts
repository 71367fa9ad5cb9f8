import type { Db, Queryable } from '../db/db.js'
import type { PhiCipher } from './phi.js'

/**
 * Moves everything onto the active key-encryption key while the server keeps
 * serving. Progress lives in the data itself (what is not yet under the active
 * key), so an interrupted run simply resumes. Every update is a compare-and-swap
 * on the old bytes: a row the server rewrote meanwhile is left as the server wrote it.
 *
 * Sealed values are found by their header in every bytea column, not by a list
 * of columns, so a feature that forgets a naming rule cannot keep an old key
 * alive unseen. Their seal context is (table, column without a trailing
 * `_sealed`, id), which only legacy format-1 values need (to be re-encrypted).
 */

export interface SealedColumn { table: string; column: string; hasId: boolean }

/** A quoted SQL identifier (table and column names found in the schema). */
export const ident = (s: string) => `"${s.replace(/"/g, '""')}"`
// Formats 1 and 2: format byte, key-id length byte, key id, then at least iv and tag.
const HAS_KEK = (col: string) =>
  `${col} IS NOT NULL AND length(${col}) > 30 AND get_byte(${col}, 0) IN (1, 2) AND length(${col}) >= 30 + get_byte(${col}, 1)`
const KEK_OF = (col: string) => `encode(substring(${col} from 3 for get_byte(${col}, 1)), 'escape')`
// Raw wrapped data keys have no header; they are rotated on their own.
const NOT_SEALED = new Set(['phi_data_keys.wrapped_key'])

/** Every bytea column of the schema that may hold sealed values. */
export async function sealedColumns (q: Queryable): Promise<SealedColumn[]> {
  const { rows } = await q.query<{ table_name: string; column_name: string; has_id: boolean }>(
    `SELECT c.table_name, c.column_name,
            EXISTS (SELECT 1 FROM information_schema.columns i WHERE i.table_schema = c.table_schema
                      AND i.table_name = c.table_name AND i.column_name = 'id') AS has_id
       FROM information_schema.columns c JOIN information_schema.tables t
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema() AND c.data_type = 'bytea'
      ORDER BY 1, 2`)
  return rows.filter((r) => !NOT_SEALED.has(`${r.table_name}.${r.column_name}`))
    .map((r) => ({ table: r.table_name, column: r.column_name, hasId: r.has_id }))
}

export interface KeyUse { keyId: string; where: string; count: number }

/** How many stored values each KEK still protects, and where. */
export async function keyReferences (q: Queryable): Promise<KeyUse[]> {
  const out: KeyUse[] = []
  const dk = await q.query<{ k: string; n: string }>(
    'SELECT kek_id AS k, count(*)::text AS n FROM phi_data_keys WHERE kek_id IS NOT NULL GROUP BY 1')
  for (const r of dk.rows) out.push({ keyId: r.k, where: 'phi_data_keys (subject data keys)', count: Number(r.n) })
  for (const c of await sealedColumns(q)) {
    const col = ident(c.column)
    const { rows } = await q.query<{ k: string; n: string }>(
      `SELECT ${KEK_OF(col)} AS k, count(*)::text AS n FROM ${ident(c.table)} WHERE ${HAS_KEK(col)} GROUP BY 1`)
    for (const r of rows) out.push({ keyId: r.k, where: `${c.table}.${c.column}`, count: Number(r.n) })
  }
  return out
}

export interface RotationProgress {
  target: string
  /** Values moved to the active key in this target so far. */
  done: number
  /** Values left in this target when it started. */
  total: number
  failed: number
}

export interface RotateOptions {
  batchSize?: number
  /** Aborting finishes the current batch and stops; running again resumes. */
  signal?: AbortSignal
  onProgress?: (p: RotationProgress) => void
  /** Rows failing to open (tampered, key missing) are counted, never rewritten. */
  onFailure?: (target: string, row: string) => void
}

export interface RotationResult { moved: number; failed: number; remaining: number; interrupted: boolean }

export async function rotateAll (db: Db, cipher: PhiCipher, o: RotateOptions = {}): Promise<RotationResult> {
  const batch = o.batchSize ?? 200
  let moved = 0
  const failedRows = new Set<string>()
  // A server that had not yet seen the new key may write under the old one
  // while we pass; a second pass picks those up.
  for (let pass = 0; pass < 3; pass++) {
    const before = moved
    moved += await rewrapDataKeys(db, cipher, batch, o)
    for (const c of await sealedColumns(db)) {
      if (o.signal?.aborted) break
      moved += await rewrapColumn(db, cipher, c, batch, o, failedRows)
    }
    if (o.signal?.aborted || moved === before) break
  }
  const known = new Set(cipher.keyIds())
  const remaining = (await keyReferences(db)).filter((u) => u.keyId !== cipher.activeKeyId && known.has(u.keyId)).reduce((n, u) => n + u.count, 0)
  return { moved, failed: failedRows.size, remaining, interrupted: o.signal?.aborted === true }
}

async function rewrapDataKeys (db: Db, cipher: PhiCipher, batch: number, o: RotateOptions): Promise<number> {
  const active = cipher.activeKeyId
  const total = Number((await db.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM phi_data_keys WHERE kek_id IS NOT NULL AND kek_id <> $1', [active])).rows[0].n)
  let done = 0
  let failed = 0
  let cursor = '00000000-0000-0000-0000-000000000000'
  while (!o.signal?.aborted) {
    const { rows } = await db.query<{ id: string; kek_id: string; wrapped_key: Buffer }>(
      `SELECT id, kek_id, wrapped_key FROM phi_data_keys WHERE kek_id IS NOT NULL AND kek_id <> $1 AND id > $2
        ORDER BY id LIMIT $3`, [active, cursor, batch])
    if (rows.length === 0) break
    await db.transaction(async (tx) => {
      for (const r of rows) {
        let next
        try {
          next = cipher.wrapDataKey(cipher.unwrapDataKey(r.id, r.kek_id, Buffer.from(r.wrapped_key)))
        } catch {
          failed++
          o.onFailure?.('phi_data_keys', r.id)
          continue
        }
        const u = await tx.query(
          `UPDATE phi_data_keys SET kek_id = $1, wrapped_key = $2, rotated_at = now()
            WHERE id = $3 AND kek_id = $4 AND wrapped_key = $5`, [next.keyId, next.wrapped, r.id, r.kek_id, r.wrapped_key])
        done += u.rowCount
      }
    })
    cursor = rows[rows.length - 1].id
    o.onProgress?.({ target: 'phi_data_keys', done, total, failed })
  }
  return done
}

async function rewrapColumn (db: Db, cipher: PhiCipher, c: SealedColumn, batch: number, o: RotateOptions,
  failedRows: Set<string>): Promise<number> {
  const table = ident(c.table)
  const col = ident(c.column)
  const old = cipher.keyIds().filter((k) => k !== cipher.activeKeyId)
  if (old.length === 0) return 0
  const where = `${HAS_KEK(col)} AND ${KEK_OF(col)} = ANY($1::text[])`
  const total = Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, [old])).rows[0].n)
  if (total === 0) return 0
  const target = `${c.table}.${c.column}`
  const context = c.column.replace(/_sealed$/, '')
  let done = 0
  let cursor = '(0,0)'
  while (!o.signal?.aborted) {
    // ctid pages through any table, keyed or not; the update re-checks the bytes.
    const { rows } = await db.query<{ at: string; id: string | null; v: Buffer }>(
      `SELECT ctid::text AS at, ${c.hasId ? 'id::text' : 'NULL'} AS id, ${col} AS v FROM ${table}
        WHERE ${where} AND ctid > $3::tid ORDER BY ctid LIMIT $2`, [old, batch, cursor])
    if (rows.length === 0) break
    await db.transaction(async (tx) => {
      for (const r of rows) {
        let next: Buffer | null
        try {
          // Only legacy format-1 values need their context (and so an id) to be re-encrypted.
          next = cipher.rewrap(Buffer.from(r.v), { table: c.table, column: context, row: r.id ?? '' })
        } catch {
          const key = `${target}:${r.id ?? r.at}`
          if (!failedRows.has(key)) o.onFailure?.(target, r.id ?? `ctid ${r.at}`)
          failedRows.add(key)
          continue
        }
        if (next === null) continue
        const u = await tx.query(`UPDATE ${table} SET ${col} = $1 WHERE ctid = $2::tid AND ${col} = $3`, [next, r.at, r.v])
        done += u.rowCount
      }
    })
    cursor = rows[rows.length - 1].at
    o.onProgress?.({ target, done, total, failed: failedRows.size })
  }
  return done
}
