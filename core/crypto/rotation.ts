import type { Db, Queryable } from '../db/db.js'
import type { PhiCipher } from './phi.js'

/**
 * Moves everything onto the active key-encryption key while the server keeps
 * serving. Progress lives in the data itself (what is not yet under the active
 * key), so an interrupted run simply resumes. Every update is a compare-and-swap
 * on the old bytes: a row the server rewrote meanwhile is left as the server wrote it.
 */

export interface SealedColumn { table: string; column: string; idType: string }

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`
// The KEK id of formats 1 and 2 sits after the format byte and its length byte.
const KEK_OF = (col: string) => `convert_from(substring(${col} from 3 for get_byte(${col}, 1)), 'UTF8')`
const HAS_KEK = (col: string) => `${col} IS NOT NULL AND length(${col}) > 2 AND get_byte(${col}, 0) IN (1, 2)`

/** Every *_sealed bytea column of a table with an id column: the naming rule all PHI tables follow. */
export async function sealedColumns (q: Queryable): Promise<SealedColumn[]> {
  const { rows } = await q.query<{ table_name: string; column_name: string; id_type: string }>(
    `SELECT c.table_name, c.column_name, i.data_type AS id_type FROM information_schema.columns c
       JOIN information_schema.columns i
         ON i.table_schema = c.table_schema AND i.table_name = c.table_name AND i.column_name = 'id'
      WHERE c.table_schema = current_schema() AND c.data_type = 'bytea' AND c.column_name LIKE '%\\_sealed'
        AND i.data_type IN ('uuid', 'bigint', 'integer', 'text')
      ORDER BY 1, 2`)
  return rows.map((r) => ({ table: r.table_name, column: r.column_name, idType: r.id_type }))
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
  onFailure?: (target: string, rowId: string) => void
}

export interface RotationResult { moved: number; failed: number; remaining: number; interrupted: boolean }

export async function rotateAll (db: Db, cipher: PhiCipher, o: RotateOptions = {}): Promise<RotationResult> {
  const batch = o.batchSize ?? 200
  let moved = 0
  let failed = 0
  const failedRows = new Set<string>()
  // A server that had not yet seen the new key may write under the old one
  // while we pass; a second pass picks those up.
  for (let pass = 0; pass < 3; pass++) {
    const before = moved
    moved += await rewrapDataKeys(db, cipher, batch, o)
    for (const c of await sealedColumns(db)) {
      if (o.signal?.aborted) break
      const r = await rewrapColumn(db, cipher, c, batch, o, failedRows)
      moved += r.moved
      failed = failedRows.size
    }
    if (o.signal?.aborted || moved === before) break
  }
  const remaining = (await keyReferences(db)).filter((u) => u.keyId !== cipher.activeKeyId).reduce((n, u) => n + u.count, 0)
  return { moved, failed, remaining, interrupted: o.signal?.aborted === true }
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
  failedRows: Set<string>): Promise<{ moved: number }> {
  const table = ident(c.table)
  const col = ident(c.column)
  const active = cipher.activeKeyId
  const where = `${HAS_KEK(col)} AND ${KEK_OF(col)} <> $1`
  const total = Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE ${where}`, [active])).rows[0].n)
  const target = `${c.table}.${c.column}`
  if (total === 0) return { moved: 0 }
  const context = c.column.replace(/_sealed$/, '')
  let done = 0
  let cursor: string | null = null
  while (!o.signal?.aborted) {
    const { rows }: { rows: Array<{ id: string; v: Buffer }> } = await db.query(
      `SELECT id::text AS id, ${col} AS v FROM ${table} WHERE ${where} ${cursor === null ? '' : `AND id > $3::${c.idType}`}
        ORDER BY id LIMIT $2`, cursor === null ? [active, batch] : [active, batch, cursor])
    if (rows.length === 0) break
    await db.transaction(async (tx) => {
      for (const r of rows) {
        let next: Buffer | null
        try {
          next = cipher.rewrap(Buffer.from(r.v), { table: c.table, column: context, row: r.id })
        } catch {
          if (!failedRows.has(`${target}:${r.id}`)) o.onFailure?.(target, r.id)
          failedRows.add(`${target}:${r.id}`)
          continue
        }
        if (next === null) continue
        const u = await tx.query(`UPDATE ${table} SET ${col} = $1 WHERE id = $2::${c.idType} AND ${col} = $3`, [next, r.id, r.v])
        done += u.rowCount
      }
    })
    cursor = rows[rows.length - 1].id
    o.onProgress?.({ target, done, total, failed: failedRows.size })
  }
  return { moved: done }
}
