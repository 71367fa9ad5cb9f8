import { existsSync } from 'node:fs'
import t from 'tap'
import { exclusiveBrowsers, flowing, mediaCounters, until } from './helpers.js'
import { admit, goWaiting, toWaitingRoom } from './visit-flow.js'

const haveChromium = existsSync('/usr/bin/chromium')
const PHONE = { width: 390, height: 844 }

// Both browsers behave as behind a strict firewall: every RTCPeerConnection
// gets iceTransportPolicy 'relay', so media can only go through Bedside's TURN.
// The patient uses a phone-sized screen.
t.test('the same visit relay-only through Bedside\'s TURN, patient on a phone-sized screen', {
  skip: !haveChromium && 'no chromium', timeout: 180_000
}, async (t) => {
  await exclusiveBrowsers(t)
  const t0 = Date.now()
  const at = (what: string) => t.comment(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const v = await toWaitingRoom(t, { relay: true, patientViewport: PHONE })
  at('device check done')
  const { patient, provider } = v
  await patient.page.screenshot({ path: 'test/screenshots/phone-device-check.png', fullPage: true })
  await goWaiting(v)
  await patient.page.screenshot({ path: 'test/screenshots/phone-waiting-room.png' })
  const relayedBefore = v.turn.stats().packetsToPeer
  await admit(v)
  at('admitted')

  for (const [name, b] of [['patient', patient], ['provider', provider]] as const) {
    await until(() => mediaCounters(b.page), (c) => c.framesDecoded > 0 && c.samplesReceived > 0, 25_000)
    const f = await flowing(b.page)
    t.ok(f.ok, `${name}: framesDecoded ${f.before.framesDecoded} -> ${f.after.framesDecoded}, totalSamplesReceived ${f.before.samplesReceived} -> ${f.after.samplesReceived}`)
    t.ok(f.after.localTypes.length >= 2 && f.after.relay, `${name}: every selected candidate pair is relayed (${f.after.localTypes.join(', ')})`)
  }
  at('media flowing')
  // The counters grow with the call; on a loaded machine the first seconds carry fewer packets.
  const st = await until(async () => v.turn.stats(), (x) => x.packetsToPeer - relayedBefore > 500 && x.packetsToClient > 500, 20_000)
  t.ok(st.packetsToPeer - relayedBefore > 500 && st.packetsToClient > 500, `media went through the TURN server (${st.packetsToPeer} packets to peers, ${st.packetsToClient} to clients)`)

  await patient.page.getByRole('button', { name: 'Share screen' }).click()
  await provider.page.locator('.tile.screen video').waitFor({ timeout: 15_000 })
  const c = await until(() => mediaCounters(provider.page), (x) => x.screenFrames > 5, 30_000)
  t.ok(c.screenFrames > 5, `screen share relayed: ${c.screenFrames} frames decoded`)

  await patient.page.getByRole('textbox', { name: 'Message' }).fill('Over the relay')
  await patient.page.getByRole('button', { name: 'Send' }).click()
  await provider.page.locator('.chat-log li', { hasText: 'Over the relay' }).waitFor({ timeout: 10_000 })
  t.pass('chat round-trips')

  await patient.page.waitForTimeout(2000)
  await patient.page.screenshot({ path: 'test/screenshots/phone-visit.png' })
  await patient.page.screenshot({ path: 'test/screenshots/phone-visit-full.png', fullPage: true })
  // On a phone the controls stay reachable without scrolling past the video.
  const controls = await patient.page.locator('.controls').boundingBox()
  t.ok(controls && controls.y + controls.height <= PHONE.height + 1, 'controls visible on the phone screen')
  const width = await patient.page.evaluate(() => document.documentElement.scrollWidth)
  t.ok(width <= PHONE.width, `no horizontal scrolling (${width}px)`)

  await provider.page.getByRole('button', { name: 'End visit' }).click()
  await provider.page.getByRole('button', { name: /Confirm: end for everyone/ }).click()
  await patient.page.getByRole('heading', { name: 'Visit ended' }).waitFor({ timeout: 10_000 })
  t.pass('provider ended the visit')
})
