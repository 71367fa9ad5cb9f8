import type { Queryable } from '../../core/db/db.js'

/** Why a message is sent; the transport picks the wording. Never carries PHI. */
export type NoticePurpose =
  | 'verify-email'
  | 'invitation'
  | 'registration-attempt'
  | 'account-locked'
  | 'mfa-disabled'
  | 'password-changed'
  | 'password-reset'

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
