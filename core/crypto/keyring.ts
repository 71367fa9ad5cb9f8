import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { gcmOpen, gcmSeal } from './gcm.js'

/**
 * Key-encryption keys (KEKs) by version id, and the key of the blind index.
 * Callers only ask it to wrap and unwrap small secrets (data keys), never for
 * a KEK itself, so a KMS or Vault transit provider can implement the same
 * shape (wrap = Encrypt/transit encrypt, unwrap = Decrypt) without touching
 * callers. Wrapped layout: iv(12) | tag(16) | ciphertext.
 */
export interface KeyProvider {
  /** The version new values are wrapped with. May change while the process runs (rotation). */
  readonly activeKeyId: string
  keyIds (): string[]
  wrap (secret: Buffer, aad: Buffer): { keyId: string; wrapped: Buffer }
  unwrap (keyId: string, wrapped: Buffer, aad: Buffer): Buffer
  /** HMAC key of the blind index; separate from every KEK. May change while the process runs (rotation). */
  readonly indexKey: Buffer
  /** Index keys being rotated away from: look-ups still try them until every stored index is recomputed. */
  readonly retiredIndexKeys: readonly Buffer[]
}

export interface KeyringFile { active: string; keys: Record<string, string>; indexKey: string; retiredIndexKeys?: string[] }

export class KeyringError extends Error { override name = 'KeyringError' }

interface Parsed { active: string; keys: Map<string, Buffer>; indexKey: Buffer; retiredIndexKeys: Buffer[] }

const indexKeyOf = (b64: string | undefined, what: string): Buffer => {
  const k = Buffer.from(b64 ?? '', 'base64')
  if (k.length !== 32) throw new KeyringError(`keyring ${what} must be 32 bytes of base64`)
  return k
}

function parseKeyring (json: KeyringFile): Parsed {
  const keys = new Map<string, Buffer>()
  for (const [id, b64] of Object.entries(json.keys ?? {})) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new KeyringError(`keyring key id '${id}' must be 1-64 of A-Z a-z 0-9 . _ -`)
    const k = Buffer.from(b64, 'base64')
    if (k.length !== 32) throw new KeyringError(`keyring key '${id}' must be 32 bytes of base64`)
    keys.set(id, k)
  }
  const indexKey = indexKeyOf(json.indexKey, 'indexKey')
  const retiredIndexKeys = (json.retiredIndexKeys ?? []).map((b64, i) => indexKeyOf(b64, `retiredIndexKeys[${i}]`))
  if (!keys.has(json.active)) throw new KeyringError(`keyring active key '${json.active}' is not among its keys`)
  for (const k of keys.values()) {
    if ([indexKey, ...retiredIndexKeys].some((ik) => k.equals(ik))) throw new KeyringError('keyring index keys must differ from every encryption key')
  }
  if (retiredIndexKeys.some((k) => k.equals(indexKey))) throw new KeyringError('keyring indexKey cannot also be retired')
  return { active: json.active, keys, indexKey, retiredIndexKeys }
}

/**
 * A keyring held in memory. `source` is consulted again when a caller meets a
 * key id it does not know, and at most once a second for the active id, so a
 * version added by `bedside keys new` is used by running servers at once.
 */
function localKeyring (initial: Parsed, source?: () => Parsed | null): KeyProvider {
  let state = initial
  let checkedAt = Date.now()
  const refresh = (force: boolean) => {
    if (!source || (!force && Date.now() - checkedAt < 1000)) return
    checkedAt = Date.now()
    const next = source()
    if (next) state = next
  }
  const key = (id: string): Buffer => {
    let k = state.keys.get(id)
    if (!k) { refresh(true); k = state.keys.get(id) }
    if (!k) throw new KeyringError(`key '${id}' is not in the keyring`)
    return k
  }
  return {
    get activeKeyId () { refresh(false); return state.active },
    get indexKey () { refresh(false); return state.indexKey },
    get retiredIndexKeys () { return state.retiredIndexKeys },
    keyIds: () => { refresh(false); return [...state.keys.keys()] },
    wrap (secret, aad) {
      refresh(false)
      return { keyId: state.active, wrapped: gcmSeal(key(state.active), secret, aad) }
    },
    unwrap (keyId, wrapped, aad) { return gcmOpen(key(keyId), wrapped, aad) }
  }
}

export function keyringFromJson (json: KeyringFile): KeyProvider {
  return localKeyring(parseKeyring(json))
}

export function newKeyringJson (): KeyringFile {
  return { active: 'k1', keys: { k1: randomBytes(32).toString('base64') }, indexKey: randomBytes(32).toString('base64') }
}

export function readKeyringFile (path: string): KeyringFile {
  return JSON.parse(readFileSync(path, 'utf8')) as KeyringFile
}

/** Replaces the file atomically (write then rename) so a reading server never sees half a keyring. */
export function writeKeyringFile (path: string, json: KeyringFile): void {
  parseKeyring(json)
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(json, null, 2), { mode: 0o600 })
  renameSync(tmp, path)
}

/** Reads the keyring file; in development creates one (mode 0600) when it is missing. Re-reads it when it changes. */
export function loadKeyring (path: string, opts: { createIfMissing: boolean }): KeyProvider {
  if (!existsSync(path)) {
    if (!opts.createIfMissing) throw new KeyringError(`keyring file ${path} does not exist`)
    writeKeyringFile(path, newKeyringJson())
  }
  let mtime = statSync(path).mtimeMs
  return localKeyring(parseKeyring(readKeyringFile(path)), () => {
    try {
      const now = statSync(path).mtimeMs
      if (now === mtime) return null
      const parsed = parseKeyring(readKeyringFile(path))
      mtime = now
      return parsed
    } catch {
      // A broken edit must not take the running server's keys away; keep the last good set.
      return null
    }
  })
}

/** The next version id after the existing ones: k1, k2, ... */
export function nextKeyId (ids: string[]): string {
  const n = ids.map((id) => /^k(\d+)$/.exec(id)?.[1]).filter((x): x is string => x !== undefined).map(Number)
  return `k${(n.length ? Math.max(...n) : 0) + 1}`
}
