import { existsSync } from 'node:fs'
import { test } from 'tap'
import { startRelayCall } from './browser-call.js'
import { hold, servers } from './browser-hold.js'
import { startTurn } from './helpers.js'

/**
 * Chromium relay-only calls through the bundled TURN. node-turn 0.0.6 as
 * published lost this call at ~80 s (ChannelBind answers without integrity),
 * so the UDP call must outlast 120 s. TURN_BROWSER_SECONDS shortens it locally.
 */
const CALL_SECONDS = Number(process.env.TURN_BROWSER_SECONDS ?? 130)
const haveChromium = existsSync('/usr/bin/chromium')

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
