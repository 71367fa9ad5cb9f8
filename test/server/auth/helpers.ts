import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { openOutboxRow } from '../../../server/notify/outbox-notifier.js'
import { buildTestApp, type TestApp } from '../../helpers/app.js'

/** Light argon2 parameters: the machine's 2 shared cores run many tests at once. */
export const LIGHT_HASH = { PASSWORD_HASH_MEMORY: '1024', PASSWORD_HASH_ITERATIONS: '1' }
export const PASSPHRASE = 'correct horse battery staple river'

export const buildAuthApp = (t: Test, settings: Record<string, string> = {}): Promise<TestApp> =>
  buildTestApp(t, { ...LIGHT_HASH, ...settings })

export const post = (app: FastifyInstance, url: string, payload: object, token?: string) =>
  app.inject({ method: 'POST', url, payload, headers: token ? { authorization: `Bearer ${token}` } : {} })

export const get = (app: FastifyInstance, url: string, token: string) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

/** The newest outbox message of a purpose to an address, opened as a mail sender would. */
export async function lastMessage (app: FastifyInstance, to: string, purpose: string): Promise<{ link?: string; token?: string; params: unknown } | null> {
  const { rows } = await app.db.query<{ id: string; to_sealed: Buffer; params: { linkSealed?: string } }>(
    'SELECT id, to_sealed, params FROM outbox WHERE template = $1 ORDER BY created_at DESC', [purpose])
  for (const r of rows) {
    const opened = openOutboxRow(app.phi, r)
    if (opened.to !== to) continue
    return { link: opened.link, token: opened.link?.split('#token=')[1], params: r.params }
  }
  return null
}

export async function auditRows (app: FastifyInstance, action: string) {
  const { rows } = await app.db.query<{ actor_id: string | null; target_id: string | null; outcome: string; details: Record<string, unknown> }>(
    'SELECT actor_id, target_id, outcome, details FROM audit_log WHERE action = $1 ORDER BY seq', [action])
  return rows
}

/** Registers a patient, follows the verification link, signs in and accepts the current consent documents. */
export async function signedUpPatient (app: FastifyInstance, email: string, password = PASSPHRASE) {
  const reg = await post(app, '/auth/register', { email, password })
  if (reg.statusCode !== 202) throw new Error(`register: ${reg.body}`)
  const msg = await lastMessage(app, email, 'verify-email')
  const ver = await post(app, '/auth/verify-email', { token: msg!.token })
  if (ver.statusCode !== 200) throw new Error(`verify: ${ver.body}`)
  const tokens = await signIn(app, email, password)
  await acceptAll(app, tokens.accessToken)
  return tokens
}

export async function signIn (app: FastifyInstance, email: string, password = PASSPHRASE) {
  const res = await post(app, '/auth/sign-in', { email, password })
  if (res.statusCode !== 200) throw new Error(`sign-in: ${res.statusCode} ${res.body}`)
  return res.json() as { status: string; accessToken: string; refreshToken: string; sessionId: string; mfa: boolean; challenge: string; mfaEnrolmentRequired: boolean }
}

export async function acceptAll (app: FastifyInstance, accessToken: string) {
  const docs = (await get(app, '/consent', accessToken)).json().documents as Array<{ kind: string; version: number }>
  for (const d of docs) {
    const r = await post(app, '/consent/accept', { kind: d.kind, version: d.version }, accessToken)
    if (r.statusCode !== 204) throw new Error(`consent: ${r.body}`)
  }
}
