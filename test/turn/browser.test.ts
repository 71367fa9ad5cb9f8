import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'tap'
import { startRelayCall, type CallSample, type IceServer } from './browser-call.js'
import { creds, sleep, startTurn } from './helpers.js'

/**
 * Chromium relay-only calls through the bundled TURN. node-turn 0.0.6 as
 * published lost this call at ~80 s (ChannelBind answers without integrity),
 * so the UDP call must outlast 120 s. TURN_BROWSER_SECONDS shortens it locally.
 */
const CALL_SECONDS = Number(process.env.TURN_BROWSER_SECONDS ?? 130)
const haveChromium = existsSync('/usr/bin/chromium')

const servers = (url: string) => (side: 'a' | 'b'): IceServer[] => {
  const c = creds(`browser-${side}`, 3600)
  return [{ urls: url, username: c.username, credential: c.password }]
}

interface Asserts { equal: (...a: any[]) => unknown, ok: (...a: any[]) => unknown }

async function hold (t: Asserts, call: Awaited<ReturnType<typeof startRelayCall>>, seconds: number, protocol: string): Promise<CallSample[]> {
  const samples: CallSample[] = []
  const started = Date.now()
  // Give ICE a moment; then every sample must show both sides connected, relayed and decoding more frames.
  await sleep(5000)
  let last = await call.sample()
  samples.push(last)
  while (Date.now() - started < seconds * 1000) {
    await sleep(10_000)
    const s = await call.sample()
    samples.push(s)
    const at = Math.round((s.t - started) / 1000)
    for (const side of ['a', 'b'] as const) {
      t.equal(s[side].state, 'connected', `${side} connected at ${at}s`)
      t.equal(s[side].localType, 'relay', `${side} on a relay candidate`)
      t.equal(s[side].relayProtocol, protocol, `${side} reaches TURN over ${protocol}`)
      t.ok(s[side].framesDecoded > last[side].framesDecoded, `${side} decoded frames grow at ${at}s (${last[side].framesDecoded} -> ${s[side].framesDecoded})`)
    }
    last = s
  }
  return samples
}

test('relay-only Chromium call over UDP holds beyond 120 s', { skip: !haveChromium && 'no /usr/bin/chromium', timeout: (CALL_SECONDS + 90) * 1000 }, async (t) => {
  const { addr, server } = await startTurn(t)
  const call = await startRelayCall(servers(`turn:127.0.0.1:${addr.port}?transport=udp`))
  t.teardown(() => call.close())
  t.ok(call.candidateTypes.length > 0 && call.candidateTypes.every((c) => c === 'relay'), 'only relay candidates offered')
  const samples = await hold(t, call, CALL_SECONDS, 'udp')
  const first = samples[0]; const last = samples[samples.length - 1]
  t.ok((last.t - first.t) / 1000 >= Math.min(CALL_SECONDS, 120) - 10, 'sampled across the whole call')
  t.comment(`frames decoded a=${last.a.framesDecoded} b=${last.b.framesDecoded}, lost a=${last.a.packetsLost} b=${last.b.packetsLost}`)
  const st = server.stats()
  t.comment(JSON.stringify(st))
  t.ok(st.packetsToPeer > 1000 && st.packetsToClient > 1000, 'media went through the TURN server')
  t.equal(st.errors, 0)
})

test('relay-only call with only turn:?transport=tcp', { skip: !haveChromium && 'no /usr/bin/chromium', timeout: 90_000 }, async (t) => {
  const { tcp } = await startTurn(t)
  const call = await startRelayCall(servers(`turn:127.0.0.1:${tcp!.port}?transport=tcp`))
  t.teardown(() => call.close())
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
