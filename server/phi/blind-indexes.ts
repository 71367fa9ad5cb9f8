import { normaliseEmail, normalisePhone, type SealContext } from '../../core/crypto/phi.js'
import type { BlindIndexSource } from '../../core/crypto/reindex.js'
import type { PhiVault } from '../../core/crypto/vault.js'
import { emailContext } from '../auth/accounts.js'
import { PATIENT_COLUMNS } from './patient-schema.js'
import { patientFieldContext } from './patients.js'
import { providerFieldContext } from './providers.js'

/**
 * Every blind index Bedside stores, with how its value is recovered, for
 * `bedside keys index-rotate`. A new *_index column must be added here, or
 * rotation leaves it under the retired key (look-ups would stop finding it).
 */
export function blindIndexSources (vault: PhiVault): BlindIndexSource[] {
  // Profile fields are sealed as JSON, with the contexts their own modules seal them with.
  const openField = async (sealed: Buffer, ctx: SealContext) => JSON.parse(await vault.open(sealed, ctx)) as string
  return [
    {
      table: 'users', indexColumn: 'email_index', sealedColumn: 'email_sealed',
      async derive (row) {
        const email = vault.cipher.open(row.sealed, emailContext(row.id))
        // An erased account keeps an index of its id only (server/phi/erase.ts).
        return email === '' ? { kind: 'erased', value: row.id } : { kind: 'email', value: normaliseEmail(email) }
      }
    },
    {
      table: 'patient_profiles', indexColumn: 'phone_index', sealedColumn: `${PATIENT_COLUMNS.phone}_sealed`,
      async derive (row) { return { kind: 'phone', value: normalisePhone(await openField(row.sealed, patientFieldContext(row.id, 'phone'))) } }
    },
    {
      table: 'patient_profiles', indexColumn: 'email_index', sealedColumn: `${PATIENT_COLUMNS.email}_sealed`,
      async derive (row) { return { kind: 'email', value: normaliseEmail(await openField(row.sealed, patientFieldContext(row.id, 'email'))) } }
    },
    {
      table: 'provider_profiles', indexColumn: 'npi_index', sealedColumn: 'npi_sealed',
      async derive (row) { return { kind: 'npi', value: await openField(row.sealed, providerFieldContext(row.id, 'npi')) } }
    }
  ]
}
