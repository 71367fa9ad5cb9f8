import { randomUUID } from 'node:crypto'
import { normaliseEmail, type PhiCipher } from '../../core/crypto/phi.js'
import type { Queryable } from '../../core/db/db.js'
import type { Role } from '../../core/roles.js'

export interface Account {
  id: string
  role: Role
  email_index: Buffer
  email_verified_at: Date | null
  password_hash: string | null
  mfa_enabled: boolean
  failed_logins: number
  locked: boolean
  disabled: boolean
}

const COLUMNS = `id, role, email_index, email_verified_at, password_hash, mfa_enabled_at IS NOT NULL AS mfa_enabled,
  failed_logins, coalesce(locked_until > now(), false) AS locked, disabled_at IS NOT NULL AS disabled`

export const emailIndex = (phi: PhiCipher, email: string): Buffer => phi.index('email', normaliseEmail(email))
export const emailContext = (userId: string) => ({ table: 'users', column: 'email', row: userId })

export async function findByEmail (q: Queryable, phi: PhiCipher, email: string): Promise<Account | null> {
  // Any index key: during a blind-index rotation some rows still carry the old one.
  const { rows } = await q.query<Account>(`SELECT ${COLUMNS} FROM users WHERE email_index = ANY($1::bytea[])`,
    [phi.indexCandidates('email', normaliseEmail(email))])
  return rows[0] ?? null
}

export async function findById (q: Queryable, id: string, lock = false): Promise<Account | null> {
  const { rows } = await q.query<Account>(`SELECT ${COLUMNS} FROM users WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])
  return rows[0] ?? null
}

/** The plaintext email, only to hand to the notifier. */
export async function emailOf (q: Queryable, phi: PhiCipher, userId: string): Promise<string> {
  const { rows } = await q.query<{ email_sealed: Buffer }>('SELECT email_sealed FROM users WHERE id = $1', [userId])
  return phi.open(rows[0].email_sealed, emailContext(userId))
}

/**
 * Inserts a user; null when the email is taken (the unique blind index
 * decides, so two racing registrations cannot both win).
 */
export async function insertUser (q: Queryable, phi: PhiCipher, u: { role: Role; email: string; passwordHash: string | null }): Promise<string | null> {
  const id = randomUUID()
  const email = normaliseEmail(u.email)
  const [index, ...older] = phi.indexCandidates('email', email)
  // The unique index catches a taken address under the active index key; the
  // NOT EXISTS one still indexed under a key being rotated away from.
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO users (id, role, email_index, email_sealed, password_hash)
     SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM users WHERE email_index = ANY($6::bytea[]))
     ON CONFLICT (email_index) DO NOTHING RETURNING id`,
    [id, u.role, index, phi.seal(email, emailContext(id)), u.passwordHash, older])
  return rows[0]?.id ?? null
}
