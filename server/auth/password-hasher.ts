import argon2 from 'argon2'
import { randomBytes } from 'node:crypto'
import { normalisePassword } from './password-policy.js'

export interface HashParams { memoryCost: number; timeCost: number; parallelism: number }

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
