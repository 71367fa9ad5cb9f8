import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import type { KeyProvider } from './keyring.js'

/** Where a sealed value lives. Bound into the ciphertext, so a value copied to another row or column does not open. */
export interface SealContext { table: string; column: string; row: string }

export class UndecryptableError extends Error {
  override name = 'UndecryptableError'
  constructor (readonly context: SealContext) { super(`sealed ${context.table}.${context.column} could not be decrypted`) }
}

const FORMAT = 1

export interface PhiCipher {
  seal (plaintext: string, ctx: SealContext): Buffer
  open (sealed: Buffer, ctx: SealContext): string
  /** Keyed blind index for exact-match lookups (sign-in by email). Normalise before calling. */
  index (kind: string, value: string): Buffer
  /** Which key a sealed value was written with (for rotation). */
  keyIdOf (sealed: Buffer): string
}

const aad = (ctx: SealContext) => Buffer.from(`bedside:${ctx.table}:${ctx.column}:${ctx.row}`, 'utf8')

/**
 * AES-256-GCM field encryption. Layout: format(1) | keyIdLen(1) | keyId | iv(12) | tag(16) | ciphertext.
 * The key id travels with the value so keys can rotate without a flag day.
 */
export function createPhiCipher (keys: KeyProvider): PhiCipher {
  return {
    seal (plaintext, ctx) {
      const keyId = Buffer.from(keys.activeKeyId, 'utf8')
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', keys.key(keys.activeKeyId), iv)
      cipher.setAAD(aad(ctx))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return Buffer.concat([Buffer.from([FORMAT, keyId.length]), keyId, iv, cipher.getAuthTag(), body])
    },
    open (sealed, ctx) {
      try {
        const { keyId, rest } = parseHeader(sealed)
        const iv = rest.subarray(0, 12)
        const tag = rest.subarray(12, 28)
        const decipher = createDecipheriv('aes-256-gcm', keys.key(keyId), iv)
        decipher.setAAD(aad(ctx))
        decipher.setAuthTag(tag)
        return Buffer.concat([decipher.update(rest.subarray(28)), decipher.final()]).toString('utf8')
      } catch {
        throw new UndecryptableError(ctx)
      }
    },
    index (kind, value) {
      return createHmac('sha256', keys.indexKey).update(`${kind}\u0000${value}`, 'utf8').digest()
    },
    keyIdOf (sealed) { return parseHeader(sealed).keyId }
  }
}

function parseHeader (sealed: Buffer): { keyId: string; rest: Buffer } {
  if (sealed.length < 2 || sealed[0] !== FORMAT) throw new Error('unknown sealed format')
  const len = sealed[1]
  const keyId = sealed.subarray(2, 2 + len).toString('utf8')
  const rest = sealed.subarray(2 + len)
  if (rest.length < 28) throw new Error('sealed value too short')
  return { keyId, rest }
}

export const normaliseEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase()
