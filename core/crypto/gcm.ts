import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto'

/**
 * Random 96-bit nonces drawn from a block filled once per 341 nonces: one
 * CSPRNG call per field was a measurable share of a profile write. Each slice
 * is handed out once, so no nonce repeats.
 */
export function createNonceSource (): () => Buffer {
  const block = Buffer.alloc(12 * 341)
  let at = block.length
  return () => {
    if (at === block.length) { randomFillSync(block); at = 0 }
    const iv = Buffer.from(block.subarray(at, at + 12))
    at += 12
    return iv
  }
}

/** AES-256-GCM with a fresh 96-bit nonce. Layout: iv(12) | tag(16) | ciphertext. */
export function gcmSeal (key: Buffer, plaintext: Buffer, aad: Buffer, nonce: () => Buffer = () => randomBytes(12)): Buffer {
  const iv = nonce()
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(aad)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

/** Throws if the key, the associated data or any byte is wrong. */
export function gcmOpen (key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < 28) throw new Error('sealed value too short')
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
  decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(12, 28))
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])
}
