import type { SealContext } from '../crypto/phi.js'

/** Ways a message leaves Bedside; the outbox table's channel CHECK allows exactly these. */
export const CHANNELS = ['email', 'sms'] as const
export type Channel = typeof CHANNELS[number]

/**
 * Sealing context of an outbox row's address (to_sealed). Bound to the row, so
 * an address copied into another row does not open. Every writer of the outbox
 * and the worker that delivers it must use this one.
 */
export const outboxToContext = (outboxId: string): SealContext => ({ table: 'outbox', column: 'to', row: outboxId })

/** An outbox row as the worker claims it: what a template needs, the address still sealed. */
export interface OutboxRow {
  id: string
  user_id: string | null
  channel: Channel
  to_sealed: Buffer
  template: string
  /** jsonb as written by the row's producer; a template checks it against its own schema before use. */
  params: unknown
  /** Including the attempt now in progress. */
  attempts: number
}
