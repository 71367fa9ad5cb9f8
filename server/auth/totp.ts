import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import type { Queryable } from '../../core/db/db.js'

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30 s. */
const PERIOD = 30
const totpFor = (secretBase32: string, issuer: string, label: string) =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secretBase32) })

/** Where the sealed TOTP secret lives (users.mfa_secret_sealed). */
export const mfaSecretContext = (userId: string) => ({ table: 'users', column: 'mfa_secret', row: userId })

export const newTotpSecret = (): string => new Secret({ size: 20 }).base32

/**
 * The label names the role, not the email: the otpauth URI ends up in QR
 * images and authenticator backups, where an email would be personal data.
 */
export async function enrolment (secretBase32: string, issuer: string, label: string): Promise<{ otpauthUri: string; qrDataUrl: string }> {
  const otpauthUri = totpFor(secretBase32, issuer, label).toString()
  return { otpauthUri, qrDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M' }) }
}

/** The time step a code belongs to (±1 step for clock drift), or null if it is wrong. */
export function matchingStep (secretBase32: string, code: string, now = Date.now()): number | null {
  const delta = totpFor(secretBase32, 'x', 'x').validate({ token: code, timestamp: now, window: 1 })
  return delta === null ? null : Math.floor(now / 1000 / PERIOD) + delta
}

/**
 * Claims a step for the user: a code is accepted once, and never one older
 * than the last accepted (users.mfa_last_step), so a shoulder-surfed or
 * phished code cannot be replayed within its 30-90 s life.
 */
export async function claimStep (q: Queryable, userId: string, step: number): Promise<boolean> {
  const r = await q.query('UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND (mfa_last_step IS NULL OR mfa_last_step < $2)', [userId, step])
  return r.rowCount === 1
}

/** For tests and the enrolment confirmation: the current code of a secret. */
export const currentCode = (secretBase32: string, now = Date.now()): string => totpFor(secretBase32, 'x', 'x').generate({ timestamp: now })
