import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../config/load.js'

const load = (env: Record<string, string>) => loadConfig({ env })

t.test('defaults make a working development config', async (t) => {
  const c = load({})
  t.equal(c.server.env, 'development')
  t.equal(c.server.port, 8080)
  t.equal(c.stores.databaseUrl, undefined)
  t.same(c.server.corsOrigins, [])
  t.equal(c.auth.accessTokenTtl, 600)
})

t.test('environment strings are converted and validated', async (t) => {
  const c = load({ PORT: '9000', TRUST_PROXY: '10.0.0.1, 10.0.0.2', CORS_ORIGINS: 'https://a.example', REDIS_URL: 'redis://127.0.0.1:6379' })
  t.equal(c.server.port, 9000)
  t.same(c.server.trustProxy, ['10.0.0.1', '10.0.0.2'])
  t.same(c.server.corsOrigins, ['https://a.example'])
  t.equal(load({ TRUST_PROXY: 'true' }).server.trustProxy, true)
})

t.test('a bad setting names itself and what is allowed; all problems at once', async (t) => {
  const err = t.throws(() => load({ PORT: 'eighty', ACCESS_TOKEN_TTL: '3600', LOG_LEVEL: 'loud' })) as ConfigError
  t.ok(err instanceof ConfigError)
  t.equal(err.problems.length, 3)
  t.match(err.message, /PORT="eighty" is invalid/)
  t.match(err.message, /ACCESS_TOKEN_TTL="3600" is invalid: .*600/)
  t.match(err.message, /LOG_LEVEL="loud"/)
})

t.test('a renamed setting still set under its old name stops the start and names the new one', async (t) => {
  const err = t.throws(() => load({ SCHEDULER_REMINDER_WORKER: 'true' })) as ConfigError
  t.match(err.message, /SCHEDULER_REMINDER_WORKER was renamed to MESSAGE_WORKER/)
})

t.test('secrets are not echoed in errors', async (t) => {
  const err = t.throws(() => load({ DATABASE_URL: 'mysql://user:hunter2@db/x' })) as ConfigError
  t.match(err.message, /DATABASE_URL=\(hidden\) is invalid/)
  t.notMatch(err.message, /hunter2/)
})

t.test('CONFIG_FILE supplies settings; the environment wins; unknown keys are refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-cfg-'))
  const file = join(dir, 'bedside.json')
  writeFileSync(file, JSON.stringify({ PORT: 7000, HOST: '0.0.0.0' }))
  t.equal(load({ CONFIG_FILE: file }).server.port, 7000)
  t.equal(load({ CONFIG_FILE: file, PORT: '7001' }).server.port, 7001)
  writeFileSync(file, JSON.stringify({ PROT: 7000 }))
  t.throws(() => load({ CONFIG_FILE: file }), /PROT \(in CONFIG_FILE\) is not a Bedside setting/)
  writeFileSync(file, '{not json')
  t.throws(() => load({ CONFIG_FILE: file }), /could not be read as JSON/)
})

t.test('the TURN server and media nodes are not held to the API\'s production rules (they hold no PHI, tokens or database)', async (t) => {
  t.throws(() => loadConfig({ env: { NODE_ENV: 'production' } }), /needs PHI_KEYRING_FILE/, 'the API is')
  t.equal(loadConfig({ env: { NODE_ENV: 'production' }, role: 'turn' }).server.env, 'production')
  t.equal(loadConfig({ env: { NODE_ENV: 'production' }, role: 'media-node' }).server.env, 'production')
})

t.test('production refuses insecure settings', async (t) => {
  const err = t.throws(() => load({ NODE_ENV: 'production' })) as ConfigError
  const text = err.message
  t.match(text, /needs TLS/)
  t.match(text, /needs DATABASE_URL/)
  t.match(text, /needs JWT_KEYS_FILE/)
  t.match(text, /needs PHI_KEYRING_FILE/)
  t.match(text, /PUBLIC_URL must be https/)
  t.throws(() => load({ NODE_ENV: 'production', TRUST_PROXY: 'true' }), /TRUST_PROXY=true/)
})
