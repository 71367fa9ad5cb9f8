import { randomBytes, randomUUID } from 'node:crypto'
import type { Queryable } from '../db/db.js'
import { UndecryptableError, type DataKey, type PhiCipher, type SealContext } from './phi.js'

/**
 * The one module PHI columns go through. Values about a subject (a patient,
 * a provider) are sealed with that subject's data key, kept in phi_data_keys
 * wrapped by a key-encryption key; destroying the wrapped copy makes every
 * value sealed with it unreadable (crypto-shredding).
 */
export interface PhiVault {
  seal (subjectId: string, plaintext: string, ctx: SealContext, q?: Queryable): Promise<Buffer>
  /** Opens any sealed format; throws UndecryptableError naming the context, never the value. */
  open (sealed: Buffer, ctx: SealContext): Promise<string>
  /** Destroys the subject's data key. Returns false if there was none or it was already destroyed. */
  shred (subjectId: string, actorId: string | null, q: Queryable): Promise<boolean>
  isShredded (subjectId: string, q?: Queryable): Promise<boolean>
  /** Forgets cached keys (tests; a process told that a key was shredded elsewhere). */
  forget (): void
  readonly cipher: PhiCipher
}

export class ShreddedSubjectError extends Error { override name = 'ShreddedSubjectError' }

/** Did sealing or opening fail because the subject was erased (their data key destroyed)? */
export const isErasure = (err: unknown): boolean =>
  err instanceof ShreddedSubjectError || (err instanceof UndecryptableError && err.reason === 'shredded')

interface KeyRow { id: string; kek_id: string | null; wrapped_key: Buffer | null }

export interface VaultOptions {
  /** How long an unwrapped key stays in memory; bounds how late another process notices a shred. */
  cacheTtlMs?: number
  cacheMax?: number
}

export function createPhiVault (db: Queryable, cipher: PhiCipher, o: VaultOptions = {}): PhiVault {
  const ttl = o.cacheTtlMs ?? 30_000
  const max = o.cacheMax ?? 10_000
  const byId = new Map<string, { dk: DataKey; subject: string; at: number }>()
  const bySubject = new Map<string, string>()

  const remember = (dk: DataKey, subject: string) => {
    if (byId.size >= max) {
      const oldest = byId.keys().next().value
      if (oldest !== undefined) { bySubject.delete(byId.get(oldest)!.subject); byId.delete(oldest) }
    }
    byId.set(dk.id, { dk, subject, at: Date.now() })
    bySubject.set(subject, dk.id)
  }
  const cached = (id: string | undefined): DataKey | null => {
    if (id === undefined) return null
    const hit = byId.get(id)
    if (!hit) return null
    if (Date.now() - hit.at > ttl) { byId.delete(id); bySubject.delete(hit.subject); return null }
    return hit.dk
  }
  const unwrapRow = (row: KeyRow, subject: string): DataKey | null => {
    if (!row.wrapped_key || !row.kek_id) return null
    const dk = cipher.unwrapDataKey(row.id, row.kek_id, Buffer.from(row.wrapped_key))
    remember(dk, subject)
    return dk
  }

  async function keyFor (subjectId: string, q: Queryable): Promise<DataKey> {
    const hit = cached(bySubject.get(subjectId))
    if (hit) return hit
    const found = await q.query<KeyRow>('SELECT id, kek_id, wrapped_key FROM phi_data_keys WHERE subject_id = $1', [subjectId])
    if (found.rows[0]) {
      const dk = unwrapRow(found.rows[0], subjectId)
      if (!dk) throw new ShreddedSubjectError('this subject\'s data was erased')
      return dk
    }
    const dk: DataKey = { id: randomUUID(), key: randomBytes(32) }
    const { keyId, wrapped } = cipher.wrapDataKey(dk)
    const ins = await q.query<{ id: string }>(
      `INSERT INTO phi_data_keys (id, subject_id, kek_id, wrapped_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subject_id) DO NOTHING RETURNING id`, [dk.id, subjectId, keyId, wrapped])
    if (ins.rows.length === 1) { remember(dk, subjectId); return dk }
    // Another request created it first; use theirs so the subject keeps one key.
    return keyFor(subjectId, q)
  }

  return {
    cipher,
    async seal (subjectId, plaintext, ctx, q = db) {
      return cipher.sealWithDataKey(await keyFor(subjectId, q), plaintext, ctx)
    },
    async open (sealed, ctx) {
      const id = cipher.dataKeyIdOf(sealed)
      if (id === null) return cipher.open(sealed, ctx)
      let dk = cached(id)
      if (!dk) {
        const { rows } = await db.query<KeyRow & { subject_id: string }>(
          'SELECT id, subject_id, kek_id, wrapped_key FROM phi_data_keys WHERE id = $1', [id])
        if (!rows[0]) throw new UndecryptableError(ctx, 'unknown-key')
        try {
          dk = unwrapRow(rows[0], rows[0].subject_id)
        } catch {
          throw new UndecryptableError(ctx, 'unknown-key')
        }
        if (!dk) throw new UndecryptableError(ctx, 'shredded')
      }
      return cipher.openWithDataKey(dk, sealed, ctx)
    },
    async shred (subjectId, actorId, q) {
      const id = bySubject.get(subjectId)
      if (id !== undefined) { byId.delete(id); bySubject.delete(subjectId) }
      const r = await q.query(
        `UPDATE phi_data_keys SET wrapped_key = NULL, kek_id = NULL, destroyed_at = now(), destroyed_by = $2
          WHERE subject_id = $1 AND wrapped_key IS NOT NULL`, [subjectId, actorId])
      if (r.rowCount === 0) {
        // Nothing sealed yet: leave a destroyed key so nothing new is ever written for this subject.
        const ins = await q.query(
          `INSERT INTO phi_data_keys (subject_id, destroyed_at, destroyed_by) VALUES ($1, now(), $2)
           ON CONFLICT (subject_id) DO NOTHING`, [subjectId, actorId])
        return ins.rowCount === 1
      }
      return true
    },
    async isShredded (subjectId, q = db) {
      const { rows } = await q.query<{ destroyed: boolean }>(
        'SELECT destroyed_at IS NOT NULL AS destroyed FROM phi_data_keys WHERE subject_id = $1', [subjectId])
      return rows[0]?.destroyed === true
    },
    forget () { byId.clear(); bySubject.clear() }
  }
}
