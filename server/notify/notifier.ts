import type { Queryable } from '../../core/db/db.js'

/**
 * Why a message is sent; the outbox row's template, so the sender picks the
 * wording (account-templates.ts has one per purpose). Never carries PHI.
 */
export const NOTICE_PURPOSES = [
  'verify-email', 'invitation', 'registration-attempt', 'account-locked', 'mfa-disabled', 'password-changed', 'password-reset'
] as const
export type NoticePurpose = typeof NOTICE_PURPOSES[number]

export interface Notice {
  userId: string | null
  /** The address, in the clear only in memory: the notifier must store it sealed. */
  to: string
  purpose: NoticePurpose
  /** A link with a single-use token in its #fragment, or a plain link into the app. */
  link?: string
}

/**
 * Where messages to users go. Pass the transaction of the change that
 * causes the message so both land or neither does. The default writes to
 * the outbox table; a deployment may plug in another.
 */
export interface Notifier {
  send (notice: Notice, tx?: Queryable): Promise<void>
}
