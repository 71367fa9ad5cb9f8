import { createHash, randomBytes } from 'node:crypto'

/** A fresh unguessable token (256 bits, base64url) for links, refresh tokens and challenges. */
export const newToken = (): string => randomBytes(32).toString('base64url')

/**
 * Tokens are stored only as this hash. They carry 256 random bits, so a fast
 * hash is enough: there is nothing to brute-force, unlike a password.
 */
export const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest()
