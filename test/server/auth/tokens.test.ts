import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import t from 'tap'
import { createTestUser } from '../../helpers/users.js'
import { buildAuthApp } from './helpers.js'

// Each forged token carries claims that would otherwise pass: the user and
// session are real, so only the token's own flaw can cause the refusal.
t.test('forged, expired and mistyped access tokens are refused', async (t) => {
  const { app, services } = await buildAuthApp(t)
  const u = await createTestUser(app, 'patient')
  const claims = { role: 'patient', sid: u.sessionId, mfa: false }
  const { issuer, audience } = { issuer: services.config.auth.jwtIssuer, audience: services.config.auth.jwtAudience }
  const key = services.signingKeys.active
  const good = () => new SignJWT(claims).setSubject(u.id).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('5m').setJti('j1')
  const call = (token: string) => app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${token}` } })

  const valid = await good().setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey)
  t.equal((await call(valid)).statusCode, 200, 'control: a well-formed token of ours works')

  const none = new UnsecuredJWT({ ...claims, sub: u.id, iss: issuer, aud: audience, jti: 'j2' }).setIssuedAt().setExpirationTime('5m').encode()
  const noneRes = await call(none)
  t.equal(noneRes.statusCode, 401, 'alg: none')
  t.equal(noneRes.json().code, 'BDS_ERR_INVALID_TOKEN')
  // alg none with our kid and typ in the header, signature stripped.
  const [, payload] = valid.split('.')
  const header = Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid, typ: 'at+jwt' })).toString('base64url')
  t.equal((await call(`${header}.${payload}.`)).statusCode, 401, 'alg: none with our kid')
  t.equal((await call(`${valid.split('.').slice(0, 2).join('.')}.`)).statusCode, 401, 'signature stripped')

  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  const wrongKey = await good().setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }).sign(other.privateKey)
  t.equal((await call(wrongKey)).statusCode, 401, 'signed by another key claiming our kid')
  const unknownKid = await good().setProtectedHeader({ alg: 'EdDSA', kid: 'nope', typ: 'at+jwt' }).sign(key.privateKey)
  t.equal((await call(unknownKid)).statusCode, 401, 'unknown kid')

  const hs = await good().setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
    .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)))
  t.equal((await call(hs)).statusCode, 401, 'HS256 keyed with our public key (algorithm confusion)')

  const now = Math.floor(Date.now() / 1000)
  const expired = await new SignJWT(claims).setSubject(u.id).setIssuer(issuer).setAudience(audience)
    .setIssuedAt(now - 700).setExpirationTime(now - 100).setJti('j3')
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey)
  t.equal((await call(expired)).statusCode, 401, 'expired')
  const longLived = await new SignJWT(claims).setSubject(u.id).setIssuer(issuer).setAudience(audience)
    .setIssuedAt(now - 3600).setExpirationTime(now + 3600).setJti('j4')
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey)
  t.equal((await call(longLived)).statusCode, 401, 'older than the access token lifetime')

  for (const typ of ['JWT', 'refresh+jwt', undefined]) {
    const tok = await good().setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...(typ ? { typ } : {}) }).sign(key.privateKey)
    t.equal((await call(tok)).statusCode, 401, `typ ${String(typ)}`)
  }
  const wrongAud = await new SignJWT(claims).setSubject(u.id).setIssuer(issuer).setAudience('someone-else').setIssuedAt().setExpirationTime('5m').setJti('j5')
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey)
  t.equal((await call(wrongAud)).statusCode, 401, 'wrong audience')
  const adminClaim = await new SignJWT({ ...claims, role: 'admin' }).setSubject(u.id).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('5m').setJti('j6')
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey)
  t.equal((await call(adminClaim)).statusCode, 401, 'a role other than the account\'s')
  t.equal((await call('not.a.jwt')).statusCode, 401, 'garbage')
})
