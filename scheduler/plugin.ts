import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/load.js'
import type { PhiCipher } from '../core/crypto/phi.js'
import type { PhiVault } from '../core/crypto/vault.js'
import type { Db } from '../core/db/db.js'
import type { MessageTemplate } from '../core/messages/template.js'
import type { SchedulerDeps } from './context.js'
import type { ProviderVerifiedCheck } from './provider-verification.js'
import { REMINDER_TEMPLATE, reminderTemplate } from './reminders.js'
import appointmentRoutes from './routes/appointment-routes.js'
import calendarRoutes from './routes/calendar-routes.js'
import feedRoutes from './routes/feed-routes.js'
import preferenceRoutes from './routes/preference-routes.js'
import slotRoutes from './routes/slot-routes.js'
import { createSlotSearch } from './slot-search.js'

export interface SchedulerOptions {
  db: Db
  phi: PhiCipher
  /** The server's one PHI vault (its data-key cache must be the one erasure clears). */
  vault: PhiVault
  config: Config
  /** Whether a provider passed identity verification (the server passes the records module's check). */
  isProviderVerified: ProviderVerifiedCheck
}

/**
 * The scheduler's outbox messages. It only queues them (in the booking's
 * transaction); the server runs one worker that delivers these with every
 * other area's messages.
 */
export const messageTemplates: Readonly<Record<string, MessageTemplate>> = { [REMINDER_TEMPLATE]: reminderTemplate }

/**
 * Scheduling: calendars, slots, booking, check-in, reminders (queued here,
 * sent by the server's message worker) and calendar feeds. Takes its services
 * as options so it never imports the server.
 */
export default async function scheduler (f: FastifyInstance, o: SchedulerOptions) {
  const s = o.config.scheduler
  const isProviderVerified = o.isProviderVerified
  const deps: SchedulerDeps = {
    db: o.db, phi: o.phi, vault: o.vault, settings: s, publicUrl: o.config.server.publicUrl, isProviderVerified, now: Date.now,
    slots: createSlotSearch(o.db, { maxProviders: s.searchMaxProviders, cacheMs: s.slotCacheMs, changes: o.db.changes, isProviderVerified })
  }
  await f.register(calendarRoutes, deps)
  await f.register(slotRoutes, deps)
  await f.register(appointmentRoutes, deps)
  await f.register(feedRoutes, deps)
  await f.register(preferenceRoutes, deps)
}
