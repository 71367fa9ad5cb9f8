import { createHmac } from 'node:crypto'
import nodemailer from 'nodemailer'
import type { Config } from '../../config/load.js'
import type { Channel } from './outbox.js'

export interface Message { to: string; subject: string; text: string }

/** One way of delivering a message. Throws a TransportError on failure; its text is safe to store (no address, no body). */
export interface Transport { send (m: Message): Promise<void>; close (): void }

export class TransportError extends Error { override name = 'TransportError' }

export interface SmtpOptions { url: string; from: string; timeoutMs: number }

export function smtpTransport (o: SmtpOptions): Transport {
  const url = new URL(o.url)
  const mailer = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: o.timeoutMs, greetingTimeout: o.timeoutMs, socketTimeout: o.timeoutMs
  })
  return {
    async send (m) {
      try {
        await mailer.sendMail({ from: o.from, to: m.to, subject: m.subject, text: m.text })
      } catch (err) {
        // SMTP replies can quote the recipient: keep only the code.
        const e = err as { code?: string; responseCode?: number }
        throw new TransportError(`smtp ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`)
      }
    },
    close () { mailer.close() }
  }
}

export interface SmsWebhookOptions { url: string; secret?: string; timeoutMs: number }

/** SMS through a gateway webhook: POST {"to","text"} JSON, HMAC-signed when a secret is set. */
export function smsWebhookTransport (o: SmsWebhookOptions): Transport {
  return {
    async send (m) {
      const body = JSON.stringify({ to: m.to, text: m.text })
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (o.secret) headers['x-bedside-signature'] = createHmac('sha256', o.secret).update(body).digest('hex')
      let res: Response
      try {
        res = await fetch(o.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(o.timeoutMs), redirect: 'error' })
      } catch (err) {
        throw new TransportError(`sms gateway unreachable (${(err as Error).name})`)
      }
      await res.arrayBuffer().catch(() => undefined)
      if (!res.ok) throw new TransportError(`sms gateway HTTP ${res.status}`)
    },
    close () {}
  }
}

export type Transports = Partial<Record<Channel, Transport>>

/** Transports from settings: SMTP_URL and SMS_WEBHOOK_URL each enable one channel. */
export function transportsFrom (s: Config['messages']): Transports {
  const t: Transports = {}
  if (s.smtpUrl) t.email = smtpTransport({ url: s.smtpUrl, from: s.smtpFrom, timeoutMs: s.transportTimeoutMs })
  if (s.smsWebhookUrl) t.sms = smsWebhookTransport({ url: s.smsWebhookUrl, secret: s.smsWebhookSecret, timeoutMs: s.transportTimeoutMs })
  return t
}
