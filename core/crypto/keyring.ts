import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Key-encryption keys by id, and the key of the blind index. A KMS or Vault
 * transit provider implements the same shape; callers never see where keys live.
 */
export interface KeyProvider {
  readonly activeKeyId: string
  key (id: string): Buffer
  keyIds (): string[]
  readonly indexKey: Buffer
}

export interface KeyringFile { active: string; keys: Record<string, string>; indexKey: string }

export class KeyringError extends Error { override name = 'KeyringError' }

export function keyringFromJson (json: KeyringFile): KeyProvider {
  const keys = new Map<string, Buffer>()
  for (const [id, b64] of Object.entries(json.keys ?? {})) {
    const k = Buffer.from(b64, 'base64')
    if (k.length !== 32) throw new KeyringError(`keyring key '${id}' must be 32 bytes of base64`)
    keys.set(id, k)
  }
  const indexKey = Buffer.from(json.indexKey ?? '', 'base64')
  if (indexKey.length !== 32) throw new KeyringError('keyring indexKey must be 32 bytes of base64')
  if (!keys.has(json.active)) throw new KeyringError(`keyring active key '${json.active}' is not among its keys`)
  return {
    activeKeyId: json.active,
    indexKey,
    keyIds: () => [...keys.keys()],
    key (id) {
      const k = keys.get(id)
      if (!k) throw new KeyringError(`key '${id}' is not in the keyring`)
      return k
    }
  }
}

export function newKeyringJson (): KeyringFile {
  return { active: 'k1', keys: { k1: randomBytes(32).toString('base64') }, indexKey: randomBytes(32).toString('base64') }
}

/** Reads the keyring file; in development creates one (mode 0600) when it is missing. */
export function loadKeyring (path: string, opts: { createIfMissing: boolean }): KeyProvider {
  if (!existsSync(path)) {
    if (!opts.createIfMissing) throw new KeyringError(`keyring file ${path} does not exist`)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, JSON.stringify(newKeyringJson(), null, 2), { mode: 0o600 })
  }
  return keyringFromJson(JSON.parse(readFileSync(path, 'utf8')) as KeyringFile)
}
