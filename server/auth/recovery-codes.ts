import { createHash, randomInt } from 'node:crypto'
import type { Queryable } from '../../core/db/db.js'

export const RECOVERY_CODE_COUNT = 10
// Crockford-style alphabet: no 0/O or 1/I/L to misread from paper.
const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789'

/** 10 random characters (~49 bits), shown as XXXXX-XXXXX. */
function newCode (): string {
  let s = ''
  for (let i = 0; i < 10; i++) s += ALPHABET[randomInt(ALPHABET.length)]
  return `${s.slice(0, 5)}-${s.slice(5)}`
}

const normalise = (code: string): string => code.replace(/[\s-]/g, '').toUpperCase()
// Salted with the user id so equal codes of two users never share a hash.
const hashCode = (userId: string, code: string): Buffer => createHash('sha256').update(`${userId}:${normalise(code)}`).digest()

/** Replaces the user's recovery codes with ten new ones; the plaintext is returned once and never stored. */
export async function replaceRecoveryCodes (tx: Queryable, userId: string): Promise<string[]> {
  await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId])
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode)
  await tx.query('INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])',
    [userId, codes.map((c) => hashCode(userId, c))])
  return codes
}

/** Uses up one code; false if it is wrong or was used before. */
export async function consumeRecoveryCode (q: Queryable, userId: string, code: string): Promise<boolean> {
  const r = await q.query('UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL',
    [userId, hashCode(userId, code)])
  return r.rowCount === 1
}

export async function remainingRecoveryCodes (q: Queryable, userId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [userId])
  return rows[0].n
}
