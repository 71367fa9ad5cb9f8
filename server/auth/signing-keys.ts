import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'

export interface SigningKey { kid: string; privateKey: CryptoKey; publicKey: CryptoKey; publicJwk: JWK }
/** The first key signs; every key verifies, so a retiring key's tokens live out their 10 minutes. */
export interface SigningKeys { active: SigningKey; byKid: Map<string, SigningKey> }

export const ALG = 'EdDSA'

export async function newSigningJwk (kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true })
  return { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' }
}

export async function signingKeysFromJwks (jwks: { keys: JWK[] }): Promise<SigningKeys> {
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error('JWT keys file holds no keys')
  const byKid = new Map<string, SigningKey>()
  for (const jwk of jwks.keys) {
    if (!jwk.kid || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d) {
      throw new Error('each JWT key must be an Ed25519 private JWK with a kid')
    }
    const { d: _d, ...pub } = jwk
    byKid.set(jwk.kid, {
      kid: jwk.kid,
      privateKey: await importJWK(jwk, ALG) as CryptoKey,
      publicKey: await importJWK(pub, ALG) as CryptoKey,
      publicJwk: { ...pub, alg: ALG, use: 'sig' }
    })
  }
  return { active: byKid.get(jwks.keys[0].kid!)!, byKid }
}

/** Loads JWT_KEYS_FILE, or in development a generated file under DATA_DIR. */
export async function loadSigningKeys (path: string, opts: { createIfMissing: boolean }): Promise<SigningKeys> {
  if (!existsSync(path)) {
    if (!opts.createIfMissing) throw new Error(`JWT keys file ${path} does not exist`)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, JSON.stringify({ keys: [await newSigningJwk(`dev-${Date.now()}`)] }, null, 2), { mode: 0o600 })
  }
  return signingKeysFromJwks(JSON.parse(readFileSync(path, 'utf8')) as { keys: JWK[] })
}
