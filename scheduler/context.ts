import type { Config } from '../config/load.js'
import type { AuditEntry } from '../core/audit/audit-log.js'
import type { PhiCipher } from '../core/crypto/phi.js'
import type { PhiVault } from '../core/crypto/vault.js'
import type { Db } from '../core/db/db.js'
import type { Role } from '../core/roles.js'
import type { ProviderVerifiedCheck } from './provider-verification.js'
import type { SlotSearch } from './slot-search.js'

export interface Actor { id: string; role: Role }

/** Who is acting and from which request: what every audit entry needs. */
export interface ActionContext { actor: Actor; requestId: string; ip: string }

export interface SchedulerDeps {
  db: Db
  phi: PhiCipher
  /** Seals a patient's PHI (visit reasons) with their data key, so erasing them shreds it, backups included. */
  vault: PhiVault
  settings: Config['scheduler']
  publicUrl: string
  isProviderVerified: ProviderVerifiedCheck
  slots: SlotSearch
  now: () => number
}

export const auditFrom = (c: ActionContext, e: Omit<AuditEntry, 'actorId' | 'actorRole' | 'requestId' | 'ip'>): AuditEntry =>
  ({ ...e, actorId: c.actor.id, actorRole: c.actor.role, requestId: c.requestId, ip: c.ip })

/** Sealing context of an appointment's PHI columns: bound to the row, so a copied value does not open. */
export const apptField = (id: string, column: 'reason' | 'cancel_reason') => ({ table: 'appointments', column, row: id })

/** The signed-in actor of a request; routes run only after the access check set it. */
export function actionContext (req: { user: { id: string; role: Role } | null; id: string; ip: string }): ActionContext {
  if (!req.user) throw new Error('scheduler route reached without a user: its config.access is wrong')
  return { actor: { id: req.user.id, role: req.user.role }, requestId: req.id, ip: req.ip }
}
