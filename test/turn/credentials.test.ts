import { createHmac } from 'node:crypto'
import { test } from 'tap'
import { loadConfig } from '../../config/load.js'
import {
  checkTurnUsername, issueTurnCredentials, turnPassword, turnTtlForAdmissionWindow, verifyTurnCredentials
} from '../../turn/credentials.js'
import { turnConfigProblems, turnCredentialSettings, turnUrls } from '../../turn/settings.js'

const secret = 'x'.repeat(40)
const now = Date.UTC(2026, 11, 4, 12, 0, 0)
const settings = { secret, urls: ['turn:127.0.0.1:3478?transport=udp'], maxTtlSeconds: 86400, now: () => now }

test('issues TURN REST credentials coturn would accept', async (t) => {
  const c = issueTurnCredentials({ participantId: 'p-123', ttlSeconds: 3600 }, settings)
  const expiry = now / 1000 + 3600
  t.equal(c.username, `${expiry}:p-123`)
  // Independent computation of coturn's use-auth-secret password.
  t.equal(c.credential, createHmac('sha1', secret).update(c.username).digest('base64'))
  t.equal(c.expiresAt, new Date(expiry * 1000).toISOString())
  t.same(c.urls, settings.urls)
  t.not(c.urls, settings.urls, 'a copy, so callers cannot change the settings')
})

test('credentials validate until they expire', async (t) => {
  const c = issueTurnCredentials({ participantId: 'p-1', ttlSeconds: 120 }, settings)
  t.match(verifyTurnCredentials(secret, c.username, c.credential, now), { ok: true, participantId: 'p-1' })
  t.match(verifyTurnCredentials(secret, c.username, c.credential, now + 119_000), { ok: true })
  t.same(verifyTurnCredentials(secret, c.username, c.credential, now + 120_000), { ok: false, reason: 'expired' })
  t.same(verifyTurnCredentials('y'.repeat(40), c.username, c.credential, now), { ok: false, reason: 'malformed' })
  t.same(verifyTurnCredentials(secret, c.username, c.credential.slice(1), now), { ok: false, reason: 'malformed' })
  const forged = `${now / 1000 + 999999}:p-1`
  t.same(verifyTurnCredentials(secret, forged, c.credential, now), { ok: false, reason: 'malformed' }, 'moving the expiry breaks the password')
})

test('usernames are parsed strictly', async (t) => {
  t.same(checkTurnUsername('abc', now), { ok: false, reason: 'malformed' })
  t.same(checkTurnUsername(':p', now), { ok: false, reason: 'malformed' })
  t.same(checkTurnUsername(`${now / 1000 + 5}:a:b`, now), { ok: false, reason: 'malformed' })
  t.same(checkTurnUsername(`${now / 1000 + 5}:jane@example.org`, now), { ok: false, reason: 'malformed' })
  t.same(checkTurnUsername(`${now / 1000}:p`, now), { ok: false, reason: 'expired' })
  t.match(checkTurnUsername(`${now / 1000 + 1}:p`, now), { ok: true, expiry: now / 1000 + 1 })
})

test('bad requests are 400 errors, missing configuration 503', async (t) => {
  t.throws(() => issueTurnCredentials({ participantId: 'jane@example.org', ttlSeconds: 600 }, settings),
    { code: 'BDS_ERR_TURN_REQUEST', statusCode: 400 })
  t.throws(() => issueTurnCredentials({ participantId: 'p', ttlSeconds: 10 }, settings), { code: 'BDS_ERR_TURN_REQUEST', statusCode: 400 })
  t.throws(() => issueTurnCredentials({ participantId: 'p', ttlSeconds: 86401 }, settings), { code: 'BDS_ERR_TURN_REQUEST', statusCode: 400 })
  t.throws(() => issueTurnCredentials({ participantId: 'p', ttlSeconds: 1.5 }, settings), { code: 'BDS_ERR_TURN_REQUEST', statusCode: 400 })
  t.throws(() => issueTurnCredentials({ participantId: 'p', ttlSeconds: 600 }, { ...settings, secret: undefined }),
    { code: 'BDS_ERR_TURN_NOT_CONFIGURED', statusCode: 503 })
  t.equal(turnPassword(secret, 'a').length, 28)
})

test('config section: defaults, derived URLs, problems', async (t) => {
  const base = loadConfig({ env: {}, overrides: { TURN_SECRET: secret } })
  t.equal(base.turn.mode, 'embedded')
  t.equal(base.turn.port, 3478)
  t.same(turnUrls(base.turn), ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp'])
  t.same(turnConfigProblems(base), [])
  t.equal(turnCredentialSettings(base).secret, secret)

  const ext = loadConfig({ env: {}, overrides: { TURN_MODE: 'external', TURN_SECRET: secret, TURN_URLS: 'turn:turn.example.org:3478, turns:turn.example.org:443?transport=tcp' } })
  t.same(turnUrls(ext.turn), ['turn:turn.example.org:3478', 'turns:turn.example.org:443?transport=tcp'])

  const tls = loadConfig({ env: {}, overrides: { TURN_SECRET: secret, TURN_EXTERNAL_IP: '203.0.113.7', TURN_TLS_PORT: '443', TURN_TCP: 'false' } })
  t.same(turnUrls(tls.turn), ['turn:203.0.113.7:3478?transport=udp', 'turns:203.0.113.7:443?transport=tcp'])
  t.match(turnConfigProblems(tls), [/TURN_TLS_CERT_FILE/])

  const bare = loadConfig({ env: {}, overrides: { TURN_MODE: 'external' } })
  t.match(turnConfigProblems(bare), [/TURN_SECRET/, /TURN_URLS/])
  t.same(turnCredentialSettings(loadConfig({ env: {}, overrides: { TURN_MODE: 'off', TURN_SECRET: secret } })).urls, [])

  t.throws(() => loadConfig({ env: {}, overrides: { TURN_SECRET: 'short' } }), /TURN_SECRET=\(hidden\)/)
  t.throws(() => loadConfig({ env: {}, overrides: { TURN_URLS: 'http://x' } }), /TURN_URLS/)
  t.throws(() => loadConfig({ env: {}, overrides: { TURN_ALLOWED_PEERS: 'not a cidr' } }), /TURN_ALLOWED_PEERS/)
})

test('ttl for an admission window: slightly longer, within limits', async (t) => {
  t.equal(turnTtlForAdmissionWindow(3600, 86400), 3900)
  t.equal(turnTtlForAdmissionWindow(0, 86400), 300)
  t.equal(turnTtlForAdmissionWindow(10 * 86400, 86400), 86400)
  t.equal(turnTtlForAdmissionWindow(-5, 86400), 300)
})

test('production refuses a TURN nobody can reach or one that relays to loopback', async (t) => {
  // Loaded as development (other areas' production checks need their own files), then judged as production.
  const asProduction = (overrides: Record<string, string>) => {
    const c = loadConfig({ env: {}, overrides: { TURN_SECRET: secret, ...overrides } })
    return { ...c, server: { ...c.server, env: 'production' as const } }
  }
  const problems = turnConfigProblems(asProduction({ TURN_ALLOWED_PEERS: '127.0.0.0/8,169.254.0.0/16' })).join('\n')
  t.match(problems, /TURN_HOST is a loopback address/)
  t.match(problems, /must not include loopback/)
  t.match(problems, /169\.254\.169\.254/)
  t.same(turnConfigProblems(asProduction({ TURN_HOST: '0.0.0.0', TURN_EXTERNAL_IP: '198.51.100.20' })), [])
  t.same(turnConfigProblems(asProduction({ TURN_MODE: 'external', TURN_URLS: 'turns:turn.example.org:443?transport=tcp' })), [], 'coturn mode does not need a reachable bundled TURN')
})
