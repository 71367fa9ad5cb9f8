import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config/load.js'
import { createOutboxWorker } from '../../core/messages/outbox-worker.js'
import type { MessageTemplate } from '../../core/messages/template.js'
import { transportsFrom } from '../../core/messages/transports.js'

export interface MessageWorkerOptions {
  /** Every area's outbox templates: rows of a template missing here are never sent. */
  templates: Readonly<Record<string, MessageTemplate>>
}

/** MESSAGE_WORKER=auto runs it only where there is a transport to send with; on and off say so outright. */
export const messageWorkerRuns = (m: Config['messages']): boolean =>
  m.worker === 'on' || (m.worker === 'auto' && (m.smtpUrl !== undefined || m.smsWebhookUrl !== undefined))

/**
 * The one worker that delivers the outbox (account emails, reminders) from
 * this API process: started once the app is ready, stopped (after its pass in
 * progress) when it closes. Other API processes may run it too.
 */
export default async function messageWorker (f: FastifyInstance, o: MessageWorkerOptions) {
  const m = f.config.messages
  if (!messageWorkerRuns(m)) {
    // A production site without a transport cannot verify anyone's email: say so where operators look.
    const unsent = m.worker === 'auto' && f.config.server.env === 'production'
    f.addHook('onReady', async () => {
      if (unsent) f.log.warn('no SMTP_URL or SMS_WEBHOOK_URL: account emails and reminders are queued in the outbox but not sent')
      else f.log.info({ messageWorker: m.worker }, 'message worker not running in this process')
    })
    return
  }
  const transports = transportsFrom(m)
  const worker = createOutboxWorker({
    db: f.db, phi: f.phi, transports, templates: o.templates,
    maxAttempts: m.maxAttempts, backoffMs: m.backoffMs, leaseMs: m.leaseMs,
    onError: (err) => f.log.error({ err }, 'message worker error')
  })
  f.addHook('onReady', async () => {
    worker.start(m.pollMs)
    f.log.info({ channels: Object.keys(transports), templates: Object.keys(o.templates) }, 'message worker started')
  })
  f.addHook('onClose', async () => worker.stop())
}
