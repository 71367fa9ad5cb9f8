import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { startRelayCall } from './browser-call.js'
import { hold, servers } from './browser-hold.js'
import { startTurn } from './helpers.js'

/** The same relay-only call for networks where only TCP (or only TLS) gets out. Own file: tap limits each file to 300 s. */
const haveChromium = existsSync('/usr/bin/chromium')

test('relay-only call with only turn:?transport=tcp', { skip: !haveChromium && 'no /usr/bin/chromium', timeout: 90_000 }, async (t) => {
  const { tcp } = await startTurn(t)
  const call = await startRelayCall(servers(`turn:127.0.0.1:${tcp!.port}?transport=tcp`))
  t.teardown(() => call.close())
  t.ok(call.candidateTypes.length > 0 && call.candidateTypes.every((c) => c === 'relay'), 'only relay candidates offered')
  await hold(t, call, 25, 'tcp')
})

test('relay-only call with only turns: (TLS)', { skip: !haveChromium && 'no /usr/bin/chromium', timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-turn-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' })
  const { tls } = await startTurn(t, { tls: { port: 0, cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) } })
  // Chromium verifies the TURN server's certificate; this one is self-signed, so the test browser is told to accept it.
  const call = await startRelayCall(servers(`turns:localhost:${tls!.port}?transport=tcp`), { extraArgs: ['--ignore-certificate-errors'] })
  t.teardown(() => call.close())
  await hold(t, call, 25, 'tls')
})
