import { randomUUID } from 'node:crypto'
import type { PhiVault } from '../../core/crypto/vault.js'
import type { Queryable } from '../../core/db/db.js'
import type { ProviderProfile, ProviderProfileInput, VerificationInput, VerificationStatus } from './provider-schema.js'

const FIELDS = { name: 'name', credentials: 'credentials', specialties: 'specialties', npi: 'npi', licence: 'licence' } as const
type Field = keyof typeof FIELDS
const FIELD_LIST = Object.keys(FIELDS) as Field[]
/** Changing one of these sends the provider back through verification. */
const IDENTITY: readonly Field[] = ['name', 'npi', 'licence']
/** Sealing context of one profile field; blind-index rotation opens the NPI with it. */
export const providerFieldContext = (id: string, f: Field) => ({ table: 'provider_profiles', column: FIELDS[f], row: id })

/**
 * The one question the scheduler and visits ask: may this provider be booked
 * or join a visit? Only after an admin recorded a passed verification, and only
 * while their account is active.
 */
export async function isProviderVerified (db: Queryable, providerId: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM provider_profiles p JOIN users u ON u.id = p.id
      WHERE p.id = $1 AND p.verification_status = 'verified' AND u.role = 'provider' AND u.disabled_at IS NULL`, [providerId])
  return rows.length > 0
}

interface Row { id: string; version: number; verification_status: VerificationStatus; verified_at: Date | null; [k: string]: unknown }

export async function readProviderProfile (vault: PhiVault, q: Queryable, id: string): Promise<ProviderProfile | null> {
  const { rows } = await q.query<Row>(
    `SELECT id, version, verification_status, verified_at, ${FIELD_LIST.map((f) => `${FIELDS[f]}_sealed`).join(', ')}
       FROM provider_profiles WHERE id = $1`, [id])
  const row = rows[0]
  if (!row) return null
  const out: Record<string, unknown> = {
    id: row.id, version: row.version, verification: row.verification_status, verifiedAt: row.verified_at?.toISOString() ?? null
  }
  for (const f of FIELD_LIST) {
    const sealed = row[`${FIELDS[f]}_sealed`] as Buffer | null
    if (sealed) out[f] = JSON.parse(await vault.open(Buffer.from(sealed), providerFieldContext(id, f)))
  }
  return out as ProviderProfile
}

/** Writes the profile. Returns whether an identity field changed (and verification was reset). */
export async function saveProviderProfile (vault: PhiVault, q: Queryable, id: string, input: ProviderProfileInput): Promise<{ reset: boolean; version: number }> {
  const before = await readProviderProfile(vault, q, id)
  const changed = before !== null && IDENTITY.some((f) => JSON.stringify(before[f] ?? null) !== JSON.stringify(input[f] ?? null))
  const sealed = []
  for (const f of FIELD_LIST) {
    const v = input[f]
    sealed.push(v === undefined ? null : await vault.seal(id, JSON.stringify(v), providerFieldContext(id, f), q))
  }
  const npiIndex = input.npi ? vault.cipher.index('npi', input.npi) : null
  const { rows } = await q.query<{ version: number }>(
    `INSERT INTO provider_profiles (id, name_sealed, credentials_sealed, specialties_sealed, npi_sealed, licence_sealed, npi_index)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET name_sealed = $2, credentials_sealed = $3, specialties_sealed = $4, npi_sealed = $5,
       licence_sealed = $6, npi_index = $7, version = provider_profiles.version + 1, updated_at = now(),
       verification_status = CASE WHEN $8 THEN 'unverified' ELSE provider_profiles.verification_status END,
       verified_at = CASE WHEN $8 THEN NULL ELSE provider_profiles.verified_at END
     RETURNING version`, [id, ...sealed, npiIndex, changed])
  return { reset: changed && before?.verification === 'verified', version: rows[0].version }
}

/** Is this NPI already on another provider's profile? Answered through the blind index. */
export async function npiTaken (vault: PhiVault, q: Queryable, npi: string, exceptId: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM provider_profiles WHERE npi_index = ANY($1::bytea[]) AND id <> $2', [vault.cipher.indexCandidates('npi', npi), exceptId])
  return rows.length > 0
}

export async function recordVerification (vault: PhiVault, q: Queryable, providerId: string, adminId: string, v: VerificationInput): Promise<string> {
  const id = randomUUID()
  const note = v.note ? await vault.seal(providerId, v.note, { table: 'provider_verifications', column: 'note', row: id }, q) : null
  await q.query(
    `INSERT INTO provider_verifications (id, provider_id, outcome, checks, note_sealed, checked_by) VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, providerId, v.outcome, JSON.stringify(v.checks), note, adminId])
  await q.query(
    `UPDATE provider_profiles SET verification_status = $2, verified_at = CASE WHEN $2 = 'verified' THEN now() ELSE NULL END,
       updated_at = now() WHERE id = $1`, [providerId, v.outcome])
  return id
}

export async function verificationHistory (vault: PhiVault, q: Queryable, providerId: string) {
  const { rows } = await q.query<{ id: string; outcome: string; checks: VerificationInput['checks']; note_sealed: Buffer | null; checked_by: string; checked_at: Date }>(
    'SELECT id, outcome, checks, note_sealed, checked_by, checked_at FROM provider_verifications WHERE provider_id = $1 ORDER BY checked_at, id', [providerId])
  const out = []
  for (const r of rows) {
    const note = r.note_sealed ? await vault.open(Buffer.from(r.note_sealed), { table: 'provider_verifications', column: 'note', row: r.id }) : undefined
    out.push({ id: r.id, outcome: r.outcome, checks: r.checks, ...(note ? { note } : {}), checkedBy: r.checked_by, checkedAt: r.checked_at.toISOString() })
  }
  return out
}
