import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/load.js'
import type { PhiCipher } from '../core/crypto/phi.js'
import type { Db } from '../core/db/db.js'
import type { SchedulerDeps } from './context.js'
import type { ProviderVerifiedCheck } from './provider-verification.js'
import { createReminderWorker } from './reminder-worker.js'
import appointmentRoutes from './routes/appointment-routes.js'
import calendarRoutes from './routes/calendar-routes.js'
import feedRoutes from './routes/feed-routes.js'
import preferenceRoutes from './routes/preference-routes.js'
import slotRoutes from './routes/slot-routes.js'
import { createSlotSearch } from './slot-search.js'
import { smsWebhookTransport, smtpTransport, type Transports } from './transports.js'

export interface SchedulerOptions {
  db: Db
  phi: PhiCipher
  config: Config
  /** Whether a provider passed identity verification (the server passes the records module's check). */
  isProviderVerified: ProviderVerifiedCheck
}

/** Reminder transports from settings: SMTP_URL and SMS_WEBHOOK_URL each enable one channel. */
export function transportsFrom (s: Config['scheduler']): Transports {
  const t: Transports = {}
  if (s.smtpUrl) t.email = smtpTransport({ url: s.smtpUrl, from: s.smtpFrom, timeoutMs: s.transportTimeoutMs })
  if (s.smsWebhookUrl) t.sms = smsWebhookTransport({ url: s.smsWebhookUrl, secret: s.smsWebhookSecret, timeoutMs: s.transportTimeoutMs })
  return t
}

/**
 * Scheduling: calendars, slots, booking, check-in, reminders and calendar
 * feeds. Takes its services as options so it never imports the server.
 */
export default async function scheduler (f: FastifyInstance, o: SchedulerOptions) {
  const s = o.config.scheduler
  const isProviderVerified = o.isProviderVerified
  const deps: SchedulerDeps = {
    db: o.db, phi: o.phi, settings: s, publicUrl: o.config.server.publicUrl, isProviderVerified, now: Date.now,
    slots: createSlotSearch(o.db, { maxProviders: s.searchMaxProviders, cacheMs: s.slotCacheMs, changes: o.db.changes, isProviderVerified })
  }
  await f.register(calendarRoutes, deps)
  await f.register(slotRoutes, deps)
  await f.register(appointmentRoutes, deps)
  await f.register(feedRoutes, deps)
  await f.register(preferenceRoutes, deps)

  if (s.reminderWorker) {
    const worker = createReminderWorker({
      db: o.db, phi: o.phi, transports: transportsFrom(s), maxAttempts: s.reminderMaxAttempts,
      backoffMs: s.reminderBackoffMs, leaseMs: s.reminderLeaseMs,
      onError: (err) => f.log.error({ err }, 'reminder worker error')
    })
    f.addHook('onReady', async () => worker.start(s.reminderPollMs))
    f.addHook('onClose', async () => worker.stop())
  }
}
