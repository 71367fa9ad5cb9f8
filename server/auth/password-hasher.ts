import argon2 from 'argon2'
import { randomBytes } from 'node:crypto'
import { normalisePassword } from './password-policy.js'

export interface HashParams { memoryCost: number; timeCost: number; parallelism: number }

/** OWASP Password Storage Cheat Sheet's floor for argon2id: 19 MiB, 2 iterations, 1 lane. */
export const OWASP_MIN: HashParams = { memoryCost: 19456, timeCost: 2, parallelism: 1 }

/**
 * Lighter parameters exist for tests on small machines; in production they
 * would weaken every stored password, so start-up refuses them.
 */
export function weakHashProblem (p: HashParams, production: boolean): string | null {
  if (!production || (p.memoryCost >= OWASP_MIN.memoryCost && p.timeCost >= OWASP_MIN.timeCost)) return null
  return `PASSWORD_HASH_MEMORY=${p.memoryCost} / PASSWORD_HASH_ITERATIONS=${p.timeCost} are below OWASP's argon2id minimum ` +
    `(${OWASP_MIN.memoryCost} KiB, ${OWASP_MIN.timeCost} iterations) and are refused in production`
}

export interface PasswordHasher {
  hash (password: string): Promise<string>
  /** True when the password matches; false for a wrong one or a malformed hash. */
  verify (hash: string, password: string): Promise<boolean>
  /** Same work as verify() against an account that does not exist, so timing does not tell. */
  verifyDummy (password: string): Promise<false>
  /** Hash made with other parameters (or another variant) than today's. */
  needsRehash (hash: string): boolean
}

/** argon2id with the configured parameters (OWASP: 19 MiB, 2 iterations, 1 lane). */
export async function createPasswordHasher (p: HashParams): Promise<PasswordHasher> {
  const options = { type: argon2.argon2id as 2, memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism }
  const hash = (password: string) => argon2.hash(normalisePassword(password), options)
  const dummy = await argon2.hash(randomBytes(24).toString('base64'), options)
  const verify = async (h: string, password: string) => {
    try {
      return await argon2.verify(h, normalisePassword(password))
    } catch {
      return false
    }
  }
  return {
    hash,
    verify,
    async verifyDummy (password) {
      await verify(dummy, password)
      return false
    },
    needsRehash (h) {
      return !h.startsWith('$argon2id$') || argon2.needsRehash(h, { memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism })
    }
  }
}
