import { randomUUID } from 'node:crypto'
import type { PhiCipher } from '../../core/crypto/phi.js'
import type { Queryable } from '../../core/db/db.js'
import type { Notice, Notifier } from './notifier.js'

export const outboxToContext = (id: string) => ({ table: 'outbox', column: 'to', row: id })
export const outboxLinkContext = (id: string) => ({ table: 'outbox', column: 'link', row: id })

/**
 * The default notifier: one outbox row per message for a mail/SMS sender to
 * deliver. `template` is the purpose; `params.linkSealed` is the link, sealed
 * like the address, because it carries a live single-use token until sent.
 */
export function createOutboxNotifier (db: Queryable, phi: PhiCipher): Notifier {
  return {
    async send (n: Notice, tx?: Queryable) {
      const id = randomUUID()
      const params = n.link ? { linkSealed: phi.seal(n.link, outboxLinkContext(id)).toString('base64') } : {}
      await (tx ?? db).query(
        `INSERT INTO outbox (id, user_id, channel, to_sealed, template, params) VALUES ($1, $2, 'email', $3, $4, $5)`,
        [id, n.userId, phi.seal(n.to, outboxToContext(id)), n.purpose, JSON.stringify(params)])
    }
  }
}

/** For the sender: the address and link of an outbox row. */
export function openOutboxRow (phi: PhiCipher, row: { id: string; to_sealed: Buffer; params: { linkSealed?: string } }): { to: string; link?: string } {
  return {
    to: phi.open(row.to_sealed, outboxToContext(row.id)),
    ...(row.params.linkSealed ? { link: phi.open(Buffer.from(row.params.linkSealed, 'base64'), outboxLinkContext(row.id)) } : {})
  }
}
