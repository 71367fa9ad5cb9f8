import { createHash, randomBytes } from 'node:crypto'

/**
 * Opaque bearer secrets (visit tickets, guest invites, resume tokens): 256
 * random bits, stored and compared only as SHA-256, so a database or memory
 * dump does not hand out working tokens. The prefix says what a token is for
 * when one turns up in a support ticket.
 */
export function newToken (prefix: 'vt' | 'gi' | 'rt'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

export function tokenHash (token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}
