import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { PhiCipher } from '../crypto/phi.js'
import type { Queryable } from '../db/db.js'
import type { OutboxRow } from './outbox.js'

export interface RenderedMessage { subject: string; text: string }

/**
 * How one kind of outbox row (its `template` column) becomes a message. Each
 * area owns the wording of its own messages; the worker only delivers them.
 */
export interface MessageTemplate {
  /**
   * The message, or null when this row can never be rendered (its params do
   * not fit): retrying would not help, so the row is marked failed at once.
   * A throw counts as a failed attempt and is retried.
   */
  render (row: OutboxRow, phi: PhiCipher): RenderedMessage | null
  /** Asked just before sending: false withdraws the row (status 'cancelled'), e.g. a reminder of a cancelled visit. */
  stillWanted? (db: Queryable, row: OutboxRow): Promise<boolean>
}

/** A row's params when they fit the template's schema, else null (the row was written by something else). */
export function paramsOf<S extends TSchema> (schema: S, row: OutboxRow): Static<S> | null {
  return Value.Check(schema, row.params) ? row.params : null
}
