import { normaliseEmail, normalisePhone } from '../../core/crypto/phi.js'
import type { PhiVault } from '../../core/crypto/vault.js'
import type { Queryable } from '../../core/db/db.js'
import { PATIENT_COLUMNS, PATIENT_FIELDS, type PatientField, type PatientProfile, type PatientProfileInput } from './patient-schema.js'

const TABLE = 'patient_profiles'
/** Sealing context of one profile field; blind-index rotation opens the same fields with it. */
export const patientFieldContext = (id: string, field: PatientField) => ({ table: TABLE, column: PATIENT_COLUMNS[field], row: id })

export class ErasedRecordError extends Error { override name = 'ErasedRecordError' }

/**
 * Writes the whole profile: every field sealed with the patient's data key,
 * phone and email also as blind indexes. Returns which fields it holds now.
 */
export async function savePatientProfile (vault: PhiVault, q: Queryable, id: string, input: PatientProfileInput): Promise<{ version: number; updatedAt: string; fields: PatientField[] }> {
  const values: unknown[] = [id]
  const sets: string[] = []
  for (const field of PATIENT_FIELDS) {
    const v = input[field]
    values.push(v === undefined ? null : await vault.seal(id, JSON.stringify(v), patientFieldContext(id, field), q))
    sets.push(`${PATIENT_COLUMNS[field]}_sealed`)
  }
  const phoneIndex = input.phone ? vault.cipher.index('phone', normalisePhone(input.phone)) : null
  const emailIndex = input.email ? vault.cipher.index('email', normaliseEmail(input.email)) : null
  values.push(phoneIndex, emailIndex)
  const cols = [...sets, 'phone_index', 'email_index']
  const placeholders = cols.map((_c, i) => `$${i + 2}`)
  const { rows } = await q.query<{ version: number; updated_at: Date }>(
    `INSERT INTO ${TABLE} (id, ${cols.join(', ')}) VALUES ($1, ${placeholders.join(', ')})
     ON CONFLICT (id) DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
       version = ${TABLE}.version + 1, updated_at = now()
     WHERE ${TABLE}.erased_at IS NULL
     RETURNING version, updated_at`, values)
  if (rows.length === 0) throw new ErasedRecordError('record erased')
  return { version: rows[0].version, updatedAt: rows[0].updated_at.toISOString(), fields: PATIENT_FIELDS.filter((f) => input[f] !== undefined) }
}

type Row = Record<string, Buffer | null> & { id: string; version: number; updated_at: Date; erased_at: Date | null }

/** The decrypted profile, or null if there is none. Throws UndecryptableError (naming a field) or ErasedRecordError. */
export async function readPatientProfile (vault: PhiVault, q: Queryable, id: string): Promise<PatientProfile | null> {
  const cols = PATIENT_FIELDS.map((f) => `${PATIENT_COLUMNS[f]}_sealed`)
  const { rows } = await q.query<Row>(`SELECT id, version, updated_at, erased_at, ${cols.join(', ')} FROM ${TABLE} WHERE id = $1`, [id])
  const row = rows[0]
  if (!row) return null
  if (row.erased_at) throw new ErasedRecordError('record erased')
  const out: Record<string, unknown> = { id: row.id, version: row.version, updatedAt: row.updated_at.toISOString() }
  for (const field of PATIENT_FIELDS) {
    const sealed = row[`${PATIENT_COLUMNS[field]}_sealed`]
    if (sealed) out[field] = JSON.parse(await vault.open(Buffer.from(sealed), patientFieldContext(id, field)))
  }
  return out as PatientProfile
}

/** Patients whose phone or email matches exactly, found through the blind index. */
export async function findPatients (vault: PhiVault, q: Queryable, by: { phone?: string; email?: string }): Promise<string[]> {
  const [col, candidates] = by.phone !== undefined
    ? ['phone_index', vault.cipher.indexCandidates('phone', normalisePhone(by.phone))]
    : ['email_index', vault.cipher.indexCandidates('email', normaliseEmail(by.email ?? ''))]
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM ${TABLE} WHERE ${col} = ANY($1::bytea[]) AND erased_at IS NULL ORDER BY id LIMIT 50`, [candidates])
  return rows.map((r) => r.id)
}

export async function patientExists (q: Queryable, id: string): Promise<boolean> {
  const { rows } = await q.query(`SELECT 1 FROM users WHERE id = $1 AND role = 'patient'`, [id])
  return rows.length > 0
}

/** After the data key is destroyed: drop the blind indexes too, so a phone or email cannot even be matched to the record. */
export async function markErased (q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE ${TABLE} SET erased_at = now(), phone_index = NULL, email_index = NULL, updated_at = now() WHERE id = $1`, [id])
}
