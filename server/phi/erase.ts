import type { PhiVault } from '../../core/crypto/vault.js'
import type { Queryable } from '../../core/db/db.js'
import { markErased } from './patients.js'

/**
 * Erases a patient by crypto-shredding: their data key is destroyed, so every
 * value sealed with it stays in place but can never be opened again (backups
 * included). What other features sealed without the patient's key is removed
 * here too, and the account is closed. Returns whether a key was destroyed.
 */
export async function erasePatient (vault: PhiVault, q: Queryable, patientId: string, actorId: string): Promise<boolean> {
  const destroyed = await vault.shred(patientId, actorId, q)
  await markErased(q, patientId)
  // The sign-in email is sealed per record, not with the patient's key: replace
  // it and its blind index so the address can neither be read nor matched.
  await q.query(
    `UPDATE users SET email_index = $2, email_sealed = $3, password_hash = NULL, mfa_secret_sealed = NULL,
       disabled_at = coalesce(disabled_at, now()), updated_at = now() WHERE id = $1`,
    [patientId, vault.cipher.index('erased', patientId), vault.cipher.seal('', { table: 'users', column: 'email', row: patientId })])
  await q.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'erased' WHERE user_id = $1 AND revoked_at IS NULL`, [patientId])
  // Appointment-related PHI sealed before it moved onto the patient's key.
  if (await tableExists(q, 'appointments')) {
    await q.query('UPDATE appointments SET reason_sealed = NULL, cancel_reason_sealed = NULL WHERE patient_id = $1', [patientId])
  }
  if (await tableExists(q, 'chat_messages') && await tableExists(q, 'visits')) {
    await q.query(
      `DELETE FROM chat_messages WHERE visit_id IN
         (SELECT v.id FROM visits v JOIN appointments a ON a.id = v.appointment_id WHERE a.patient_id = $1)`, [patientId])
  }
  if (await tableExists(q, 'visit_guests')) {
    // Guest labels may name family members; their tickets go with them (ON DELETE CASCADE).
    await q.query(
      `DELETE FROM visit_guests WHERE appointment_id IN (SELECT id FROM appointments WHERE patient_id = $1)`, [patientId])
  }
  if (await tableExists(q, 'reminder_preferences')) {
    await q.query('DELETE FROM reminder_preferences WHERE user_id = $1', [patientId])
  }
  // Messages addressed to the patient carry their address, sealed per record.
  await q.query('DELETE FROM outbox WHERE user_id = $1', [patientId])
  return destroyed
}

async function tableExists (q: Queryable, name: string): Promise<boolean> {
  const { rows } = await q.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])
  return rows[0]?.t !== null && rows[0]?.t !== undefined
}
