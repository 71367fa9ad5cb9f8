import { createHmac, randomBytes } from 'node:crypto'
import { createNonceSource, gcmOpen, gcmSeal } from './gcm.js'
import type { KeyProvider } from './keyring.js'

/** Where a sealed value lives. Bound into the ciphertext, so a value copied to another row or column does not open. */
export interface SealContext { table: string; column: string; row: string }

/** A per-subject (per-patient) data key, unwrapped. Destroying its wrapped copy shreds everything sealed with it. */
export interface DataKey { id: string; key: Buffer }

export class UndecryptableError extends Error {
  override name = 'UndecryptableError'
  constructor (readonly context: SealContext, readonly reason: 'tampered' | 'shredded' | 'unknown-key' = 'tampered') {
    super(`sealed ${context.table}.${context.column} could not be decrypted (${reason})`)
  }
}

/** Sealed value layouts; the first byte says which. */
export const FORMAT = {
  /** Legacy: value sealed directly with a KEK. Read, never written; rotation re-encrypts it. */
  direct: 1,
  /** Per-record envelope: a fresh data key per value, wrapped by a KEK and stored beside it. */
  envelope: 2,
  /** Per-subject data key kept in phi_data_keys (crypto-shredding): dekId(16) | iv | tag | ct. */
  subject: 3
} as const

export interface PhiCipher {
  /** Seals with a fresh per-record data key wrapped by the active KEK (format 2). */
  seal (plaintext: string, ctx: SealContext): Buffer
  /** Opens formats 1 and 2; a subject-keyed value needs openWithDataKey. */
  open (sealed: Buffer, ctx: SealContext): string
  /** Keyed blind index for exact-match lookups (sign-in by email). Normalise before calling. */
  index (kind: string, value: string): Buffer
  /** The index under the active key first, then under keys being rotated away from: look-ups match any. */
  indexCandidates (kind: string, value: string): Buffer[]
  /** Which key a sealed value was written with: a KEK id, or `dek:<uuid>` for a subject data key. */
  keyIdOf (sealed: Buffer): string
  readonly activeKeyId: string
  /** Every key-encryption key version this cipher can open. */
  keyIds (): string[]
  sealWithDataKey (dk: DataKey, plaintext: string, ctx: SealContext): Buffer
  openWithDataKey (dk: DataKey, sealed: Buffer, ctx: SealContext): string
  /** The subject data key id of a format-3 value, else null. */
  dataKeyIdOf (sealed: Buffer): string | null
  wrapDataKey (dk: DataKey): { keyId: string; wrapped: Buffer }
  unwrapDataKey (id: string, keyId: string, wrapped: Buffer): DataKey
  /**
   * The value under the active KEK, or null when it already is (or is subject-keyed:
   * those move by re-wrapping their data key). Format 2 is re-wrapped without
   * touching its body; legacy format 1 is re-encrypted, which needs its context.
   */
  rewrap (sealed: Buffer, ctx: SealContext): Buffer | null
}

const aad = (ctx: SealContext) => Buffer.from(`bedside:${ctx.table}:${ctx.column}:${ctx.row}`, 'utf8')
const RECORD_KEY_AAD = Buffer.from('bedside:record-key', 'utf8')
const dataKeyAad = (id: string) => Buffer.from(`bedside:data-key:${id}`, 'utf8')
const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex')
const uuidText = (b: Buffer) => b.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')

// kind separates the index spaces: an email and a phone never share an index value.
const blindIndex = (key: Buffer, kind: string, value: string): Buffer =>
  createHmac('sha256', key).update(`${kind}\u0000${value}`, 'utf8').digest()

export function createPhiCipher (keys: KeyProvider): PhiCipher {
  const nonce = createNonceSource()
  const idBytes = new WeakMap<DataKey, Buffer>()
  const idOf = (dk: DataKey) => {
    let b = idBytes.get(dk)
    if (!b) { b = uuidBytes(dk.id); idBytes.set(dk, b) }
    return b
  }
  const kekHeader = (format: number, keyId: string) => {
    const id = Buffer.from(keyId, 'utf8')
    return Buffer.concat([Buffer.from([format, id.length]), id])
  }
  const sealEnvelope = (plain: Buffer, ctx: SealContext): Buffer => {
    const recordKey = randomBytes(32)
    const { keyId, wrapped } = keys.wrap(recordKey, RECORD_KEY_AAD)
    const body = gcmSeal(recordKey, plain, aad(ctx), nonce)
    return Buffer.concat([kekHeader(FORMAT.envelope, keyId), Buffer.from([wrapped.length]), wrapped, body])
  }
  const openRaw = (sealed: Buffer, ctx: SealContext): Buffer => {
    const h = parseHeader(sealed)
    if (h.format === FORMAT.direct) return keys.unwrap(h.keyId, h.rest, aad(ctx))
    if (h.format !== FORMAT.envelope) throw new Error('subject-keyed value needs its data key')
    const { wrapped, body } = splitEnvelope(h.rest)
    return gcmOpen(keys.unwrap(h.keyId, wrapped, RECORD_KEY_AAD), body, aad(ctx))
  }
  return {
    get activeKeyId () { return keys.activeKeyId },
    keyIds: () => keys.keyIds(),
    seal (plaintext, ctx) { return sealEnvelope(Buffer.from(plaintext, 'utf8'), ctx) },
    open (sealed, ctx) {
      try {
        return openRaw(sealed, ctx).toString('utf8')
      } catch {
        throw new UndecryptableError(ctx)
      }
    },
    index (kind, value) {
      return blindIndex(keys.indexKey, kind, value)
    },
    indexCandidates (kind, value) {
      return [keys.indexKey, ...keys.retiredIndexKeys].map((k) => blindIndex(k, kind, value))
    },
    keyIdOf (sealed) {
      const dek = dataKeyIdOf(sealed)
      return dek ? `dek:${dek}` : parseHeader(sealed).keyId
    },
    sealWithDataKey (dk, plaintext, ctx) {
      return Buffer.concat([Buffer.from([FORMAT.subject]), idOf(dk), gcmSeal(dk.key, Buffer.from(plaintext, 'utf8'), aad(ctx), nonce)])
    },
    openWithDataKey (dk, sealed, ctx) {
      try {
        if (sealed[0] !== FORMAT.subject || !sealed.subarray(1, 17).equals(idOf(dk))) throw new Error('sealed with another data key')
        return gcmOpen(dk.key, sealed.subarray(17), aad(ctx)).toString('utf8')
      } catch {
        throw new UndecryptableError(ctx)
      }
    },
    dataKeyIdOf,
    wrapDataKey (dk) { return keys.wrap(dk.key, dataKeyAad(dk.id)) },
    unwrapDataKey (id, keyId, wrapped) { return { id, key: keys.unwrap(keyId, wrapped, dataKeyAad(id)) } },
    rewrap (sealed, ctx) {
      const h = parseHeader(sealed)
      if (h.format === FORMAT.subject || h.keyId === keys.activeKeyId) return null
      if (h.format === FORMAT.direct) return sealEnvelope(openRaw(sealed, ctx), ctx)
      const { wrapped, body } = splitEnvelope(h.rest)
      const recordKey = keys.unwrap(h.keyId, wrapped, RECORD_KEY_AAD)
      const next = keys.wrap(recordKey, RECORD_KEY_AAD)
      return Buffer.concat([kekHeader(FORMAT.envelope, next.keyId), Buffer.from([next.wrapped.length]), next.wrapped, body])
    }
  }
}

function dataKeyIdOf (sealed: Buffer): string | null {
  if (sealed.length < 17 + 28 || sealed[0] !== FORMAT.subject) return null
  return uuidText(sealed.subarray(1, 17))
}

function parseHeader (sealed: Buffer): { format: number; keyId: string; rest: Buffer } {
  const format = sealed[0]
  if (format === FORMAT.subject) {
    if (sealed.length < 17 + 28) throw new Error('sealed value too short')
    return { format, keyId: `dek:${uuidText(sealed.subarray(1, 17))}`, rest: sealed.subarray(17) }
  }
  if (sealed.length < 2 || (format !== FORMAT.direct && format !== FORMAT.envelope)) throw new Error('unknown sealed format')
  const len = sealed[1]
  const keyId = sealed.subarray(2, 2 + len).toString('utf8')
  const rest = sealed.subarray(2 + len)
  if (rest.length < 28) throw new Error('sealed value too short')
  return { format, keyId, rest }
}

function splitEnvelope (rest: Buffer): { wrapped: Buffer; body: Buffer } {
  const len = rest[0]
  const wrapped = rest.subarray(1, 1 + len)
  const body = rest.subarray(1 + len)
  if (wrapped.length !== len || body.length < 28) throw new Error('sealed value too short')
  return { wrapped, body }
}

export const normaliseEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase()
/** Digits only, with a leading + kept, so "+1 (555) 010-0000" and "+15550100000" index alike. */
export const normalisePhone = (phone: string): string => phone.trim().replace(/(?!^\+)[^0-9]/g, '')
