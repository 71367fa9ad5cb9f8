import type { Db } from '../db/db.js'
import type { PhiCipher } from './phi.js'
import { ident } from './rotation.js'

/**
 * One blind-index column and how to recompute it: which sealed column holds
 * the value, and how the area that owns the table opens and normalises it.
 */
export interface BlindIndexSource {
  table: string
  indexColumn: string
  sealedColumn: string
  /** The kind and normalised value the row's index is made of; null leaves the row as it is. */
  derive (row: { id: string; sealed: Buffer }): Promise<{ kind: string; value: string } | null>
}

export interface ReindexProgress { target: string; checked: number; updated: number }

export interface ReindexResult {
  checked: number
  updated: number
  /** Rows whose source would not open (tampered, shredded): left as they are. */
  failed: number
  /** Rows whose new index another row already holds (a duplicate made during the rotation): left as they are. */
  conflicts: number
  interrupted: boolean
}

/**
 * Recomputes every blind index under the active index key while the server
 * keeps serving (look-ups accept retired keys meanwhile). Each update is a
 * compare-and-swap on the old index value, so a row the server rewrote since
 * it was read is left as the server wrote it; rows already current cost a
 * comparison, so an interrupted run simply starts again.
 */
export async function reindexAll (db: Db, cipher: PhiCipher, sources: readonly BlindIndexSource[], o: {
  batchSize?: number
  signal?: AbortSignal
  onProgress?: (p: ReindexProgress) => void
  onFailure?: (target: string, row: string, why: 'unreadable' | 'conflict') => void
} = {}): Promise<ReindexResult> {
  const batch = o.batchSize ?? 200
  const r: ReindexResult = { checked: 0, updated: 0, failed: 0, conflicts: 0, interrupted: false }
  for (const src of sources) {
    const table = ident(src.table)
    const idx = ident(src.indexColumn)
    const target = `${src.table}.${src.indexColumn}`
    let cursor = '00000000-0000-0000-0000-000000000000'
    let checked = 0
    let updated = 0
    while (!o.signal?.aborted) {
      const { rows } = await db.query<{ id: string; idx: Buffer; sealed: Buffer }>(
        `SELECT id::text, ${idx} AS idx, ${ident(src.sealedColumn)} AS sealed FROM ${table}
          WHERE id > $1::uuid AND ${idx} IS NOT NULL AND ${ident(src.sealedColumn)} IS NOT NULL ORDER BY id LIMIT $2`, [cursor, batch])
      if (rows.length === 0) break
      for (const row of rows) {
        checked++
        let derived
        try {
          derived = await src.derive({ id: row.id, sealed: Buffer.from(row.sealed) })
        } catch {
          r.failed++
          o.onFailure?.(target, row.id, 'unreadable')
          continue
        }
        if (derived === null) continue
        const next = cipher.index(derived.kind, derived.value)
        if (next.equals(Buffer.from(row.idx))) continue
        try {
          const u = await db.query(`UPDATE ${table} SET ${idx} = $1 WHERE id = $2 AND ${idx} = $3`, [next, row.id, row.idx])
          updated += u.rowCount
        } catch (err) {
          if ((err as { code?: string }).code !== '23505') throw err
          r.conflicts++
          o.onFailure?.(target, row.id, 'conflict')
        }
      }
      cursor = rows[rows.length - 1].id
      o.onProgress?.({ target, checked, updated })
    }
    r.checked += checked
    r.updated += updated
  }
  r.interrupted = o.signal?.aborted === true
  return r
}
