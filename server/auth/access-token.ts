import { randomUUID } from 'node:crypto'
import { jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose'
import { ALG, type SigningKeys } from './signing-keys.js'
import type { Role } from '../../core/roles.js'
import { ROLES } from '../../core/roles.js'

export interface AccessClaims { sub: string; role: Role; sid: string; mfa: boolean }
export interface TokenSettings { issuer: string; audience: string; ttlSeconds: number }

// RFC 9068 type: a refresh token, ID token or visit ticket can never pass as an access token.
const TYP = 'at+jwt'

// Verified tokens are remembered until they expire: a signature check costs
// ~300 µs of WebCrypto per request, a Map lookup nothing. Bounded, oldest out.
const VERIFIED_CACHE_MAX = 10_000

export function createAccessTokens (keys: SigningKeys, s: TokenSettings) {
  const verified = new Map<string, { claims: AccessClaims; expMs: number; kid: string }>()
  /** The claims of a token verified before and still valid, without a promise; null: call verify(). */
  const cached = (token: string): AccessClaims | null => {
    const hit = verified.get(token)
    // A retired key (removed from the key file) invalidates its cached tokens too.
    return hit !== undefined && hit.expMs > Date.now() && keys.byKid.has(hit.kid) ? hit.claims : null
  }
  return {
    async sign (c: AccessClaims): Promise<string> {
      return new SignJWT({ role: c.role, sid: c.sid, mfa: c.mfa })
        .setProtectedHeader({ alg: ALG, kid: keys.active.kid, typ: TYP })
        .setSubject(c.sub).setIssuer(s.issuer).setAudience(s.audience)
        .setIssuedAt().setExpirationTime(`${s.ttlSeconds}s`).setJti(randomUUID())
        .sign(keys.active.privateKey)
    },
    cached,
    /** Throws on anything but a well-formed, unexpired EdDSA token of ours. */
    async verify (token: string): Promise<AccessClaims> {
      const hit = cached(token)
      if (hit) return hit
      verified.delete(token)
      let kid = ''
      const { payload } = await jwtVerify(token, async (header: JWTHeaderParameters) => {
        kid = header.kid ?? ''
        const key = header.kid ? keys.byKid.get(header.kid) : undefined
        if (!key) throw new Error('unknown key id')
        return key.publicKey
      }, {
        algorithms: [ALG], issuer: s.issuer, audience: s.audience, typ: TYP,
        maxTokenAge: `${s.ttlSeconds + 5}s`, requiredClaims: ['sub', 'exp', 'iat', 'jti']
      })
      const role = payload.role as Role
      if (!ROLES.includes(role) || typeof payload.sid !== 'string' || typeof payload.mfa !== 'boolean') {
        throw new Error('malformed claims')
      }
      const claims = { sub: payload.sub!, role, sid: payload.sid, mfa: payload.mfa }
      if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!)
      verified.set(token, { claims, expMs: payload.exp! * 1000, kid })
      return claims
    }
  }
}

export type AccessTokens = ReturnType<typeof createAccessTokens>
