import { Type } from '@sinclair/typebox'
import { optional, setting } from '../define.js'

/**
 * Delivery of the outbox: account emails (verification, invitations, password
 * resets, security notices) and visit reminders. One worker sends them all.
 */
export const messages = {
  worker: setting('MESSAGE_WORKER', Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')]), 'auto',
    'Deliver account emails and reminders from this API process. auto: when SMTP_URL or SMS_WEBHOOK_URL is set; on: always (a message whose channel has no transport is retried, then marked failed); off: never. Several processes may run it: messages are claimed with FOR UPDATE SKIP LOCKED, so none goes out twice.'),
  pollMs: setting('MESSAGE_POLL_MS', Type.Integer({ minimum: 100, maximum: 600_000 }), 5000,
    'How often the message worker looks for due account emails and reminders.'),
  maxAttempts: setting('MESSAGE_MAX_ATTEMPTS', Type.Integer({ minimum: 1, maximum: 20 }), 5,
    'Delivery attempts per account email or reminder before it is marked failed.'),
  backoffMs: setting('MESSAGE_BACKOFF_MS', Type.Integer({ minimum: 10, maximum: 3_600_000 }), 30_000,
    'First retry delay after a failed delivery; each further retry waits twice as long.'),
  leaseMs: setting('MESSAGE_LEASE_MS', Type.Integer({ minimum: 1000, maximum: 3_600_000 }), 120_000,
    'A claimed message whose worker died is tried again after this long.'),
  transportTimeoutMs: setting('MESSAGE_TRANSPORT_TIMEOUT_MS', Type.Integer({ minimum: 100, maximum: 120_000 }), 10_000,
    'Timeout of one email or SMS delivery attempt.'),
  smtpUrl: optional('SMTP_URL', Type.String({ pattern: '^smtps?://' }),
    'SMTP server for account emails and email reminders, e.g. smtp://user:pass@mail.example.org:587 (smtps:// for implicit TLS). Unset: no email is sent (development prints the links on the terminal instead).', { secret: true }),
  smtpFrom: setting('SMTP_FROM', Type.String({ minLength: 3 }), 'Bedside <no-reply@localhost>', 'From address of account emails and reminders.'),
  smsWebhookUrl: optional('SMS_WEBHOOK_URL', Type.String({ pattern: '^https?://' }),
    'HTTP gateway for SMS reminders: Bedside POSTs {"to","text"} as JSON, signed in X-Bedside-Signature (hex HMAC-SHA256 of the body with SMS_WEBHOOK_SECRET). Unset: no SMS.', { secret: true }),
  smsWebhookSecret: optional('SMS_WEBHOOK_SECRET', Type.String({ minLength: 16 }), 'Key that signs SMS gateway requests.', { secret: true })
}
