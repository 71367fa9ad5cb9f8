import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import type { Test } from 'tap'

export interface Mail { to: string; raw: string }
export interface Sms { to: string; text: string; signatureOk: boolean }

/** A real SMTP server on loopback that keeps what it receives. */
export async function smtpReceiver (t: Test, delayMs = 0) {
  const mails: Mail[] = []
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData (stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        // Decoded from quoted-printable, so a soft line break cannot hide a word from the PHI checks.
        const raw = Buffer.concat(chunks).toString('utf8').replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), raw })
        setTimeout(() => cb(), delayMs)
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { mails, url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}` }
}

/** A local SMS gateway endpoint: fails the first `failFirst` requests with 500. */
export async function smsGateway (t: Test, secret: string, failFirst = 0) {
  const sms: Sms[] = []
  let seen = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen++
      if (seen <= failFirst) { res.writeHead(500).end('down'); return }
      const body = Buffer.concat(chunks).toString('utf8')
      const sig = createHmac('sha256', secret).update(body).digest('hex')
      const parsed = JSON.parse(body) as { to: string; text: string }
      sms.push({ ...parsed, signatureOk: sig === req.headers['x-bedside-signature'] })
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { sms, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`, requests: () => seen }
}

/** Polls until `done` holds or the deadline passes (background workers deliver on their own schedule). */
export async function waitFor (done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}
