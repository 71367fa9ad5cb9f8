import { Type, type Static } from '@sinclair/typebox'
import { randomUUID } from 'node:crypto'
import type { PhiCipher } from '../../core/crypto/phi.js'
import type { Queryable } from '../../core/db/db.js'
import { outboxToContext } from '../../core/messages/outbox.js'
import type { Notice, Notifier } from './notifier.js'

export const outboxLinkContext = (id: string) => ({ table: 'outbox', column: 'link', row: id })

/** The params of a notice's outbox row: only the sealed link (base64), never the address or any wording. */
export const NoticeParams = Type.Object({ linkSealed: Type.Optional(Type.String()) })
export type NoticeParams = Static<typeof NoticeParams>

/**
 * The default notifier: one outbox row per message for a mail/SMS sender to
 * deliver. `template` is the purpose; `params.linkSealed` is the link, sealed
 * like the address, because it carries a live single-use token until sent.
 */
export function createOutboxNotifier (db: Queryable, phi: PhiCipher): Notifier {
  return {
    async send (n: Notice, tx?: Queryable) {
      const id = randomUUID()
      const params: NoticeParams = n.link ? { linkSealed: phi.seal(n.link, outboxLinkContext(id)).toString('base64') } : {}
      await (tx ?? db).query(
        `INSERT INTO outbox (id, user_id, channel, to_sealed, template, params) VALUES ($1, $2, 'email', $3, $4, $5)`,
        [id, n.userId, phi.seal(n.to, outboxToContext(id)), n.purpose, JSON.stringify(params)])
    }
  }
}

/** The link of a notice's outbox row, opened for the message; undefined when the notice had none. */
export function openLink (phi: PhiCipher, row: { id: string; params: NoticeParams }): string | undefined {
  return row.params.linkSealed ? phi.open(Buffer.from(row.params.linkSealed, 'base64'), outboxLinkContext(row.id)) : undefined
}

/** The address and link of a notice's outbox row, as the sender sees them. */
export function openOutboxRow (phi: PhiCipher, row: { id: string; to_sealed: Buffer; params: NoticeParams }): { to: string; link?: string } {
  const link = openLink(phi, row)
  return { to: phi.open(row.to_sealed, outboxToContext(row.id)), ...(link ? { link } : {}) }
}
