import { randomUUID } from 'node:crypto'
import { appendAudit } from '../core/audit/audit-log.js'
import type { PhiVault } from '../core/crypto/vault.js'
import type { Db } from '../core/db/db.js'
import { actorOf, type Participant } from './participant.js'
import type { ChatMessage } from './protocol.js'
import type { Visit } from './visit.js'

/** Seal context of a chat text: bound to its row, so a copied ciphertext does not open elsewhere. */
export const chatSealContext = (id: string) => ({ table: 'chat_messages', column: 'text', row: id })

/**
 * Stores the message sealed with the patient's data key (erasing the patient
 * shreds it, backups included) and its audit entry (who, which message, never
 * the text) in one transaction, then delivers it to the admitted participants
 * present now.
 */
export async function sendChat (db: Db, vault: PhiVault, visit: Visit, p: Participant, text: string): Promise<ChatMessage> {
  const id = randomUUID()
  const actor = actorOf(p)
  const sentAt = await db.transaction(async (tx) => {
    const sealed = await vault.seal(visit.patientId, text, chatSealContext(id), tx)
    const { rows } = await tx.query<{ sent_at: Date }>(
      `INSERT INTO chat_messages (id, visit_id, participant_id, sender_user_id, sender_guest_id, text)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING sent_at`,
      [id, visit.id, p.id, p.identity.kind === 'user' ? p.identity.userId : null,
        p.identity.kind === 'guest' ? p.identity.guestId : null, sealed])
    await appendAudit(tx, {
      action: 'visit.chat', outcome: 'success', ...actor, targetType: 'appointment', targetId: visit.appointmentId,
      details: { visitId: visit.id, participantId: p.id, messageId: id }
    })
    return new Date(rows[0].sent_at)
  })
  const message: ChatMessage = { messageId: id, from: p.id, sentAt: sentAt.toISOString(), text }
  visit.chat.remember(message)
  visit.toAdmitted({ event: 'chat', data: { message } }, p)
  return message
}
