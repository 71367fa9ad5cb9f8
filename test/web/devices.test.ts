import { existsSync } from 'node:fs'
import t from 'tap'
import type { Page } from 'playwright-core'
import { cspViolations, exclusiveBrowsers, flowing, mediaCounters, until } from './helpers.js'
import { admit, goWaiting, toWaitingRoom } from './visit-flow.js'

const haveChromium = existsSync('/usr/bin/chromium')
const shot = (name: string) => `test/screenshots/${name}.png`

/** The patient's own camera and microphone as the page holds them (the self tile's stream), and what its senders carry. */
const localState = (page: Page) => page.evaluate(() => {
  const stream = document.querySelector<HTMLVideoElement>('.tile.self video, video.preview')?.srcObject as MediaStream | null
  const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed')
  const senders = pcs.flatMap((pc) => pc.getSenders()).map((s) => s.track).filter((x): x is MediaStreamTrack => x !== null && x.readyState === 'live')
  const v = stream?.getVideoTracks()[0]
  const a = stream?.getAudioTracks()[0]
  return {
    camera: v?.getSettings().deviceId, cameraTrack: v?.id, mic: a?.getSettings().deviceId, micEnabled: a?.enabled,
    senderVideo: senders.filter((x) => x.kind === 'video').map((x) => x.id),
    senderAudio: senders.filter((x) => x.kind === 'audio').map((x) => ({ id: x.id, enabled: x.enabled })),
    // Any renegotiation would change a description; replaceTrack changes none.
    sdp: pcs.map((pc) => `${pc.localDescription?.sdp ?? ''}|${pc.remoteDescription?.sdp ?? ''}`),
    peers: pcs.length,
    sinks: [...document.querySelectorAll('audio')].map((e) => e.sinkId)
  }
})

const options = (page: Page, label: string) => page.getByLabel(label, { exact: true }).locator('option').evaluateAll(
  (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })))

t.test('choose camera, microphone and speaker on the device check; switch them during the visit without renegotiation', {
  skip: !haveChromium && 'no chromium', timeout: 240_000
}, async (t) => {
  await exclusiveBrowsers(t)
  // Three fake cameras in the patient's browser (Chromium's device-count), so the switch really changes device.
  // Chromium gives each its own pixel format; fake_device_1's sends no video frames (0 encoded), so the test uses 0 and 2.
  const v = await toWaitingRoom(t, { patientCameras: 3 })
  const { patient, provider } = v
  const page = patient.page

  const cams = await options(page, 'Camera to use')
  const mics = await options(page, 'Microphone to use')
  const speakers = await options(page, 'Speaker to use')
  t.comment(`cameras: ${cams.map((c) => c.label).join(', ')}; microphones: ${mics.map((c) => c.label).join(', ')}; speakers: ${speakers.map((c) => c.label).join(', ')}`)
  t.ok(cams.length >= 3 && cams.every((c) => c.value && !/^Camera \d/.test(c.label)), 'cameras listed, with their names (access was granted)')
  t.ok(mics.length >= 1, 'microphones listed')
  t.ok(speakers.length >= 1 && await page.getByLabel('Speaker to use', { exact: true }).isVisible(), 'speakers listed (Chromium has setSinkId)')

  await t.test('the choice previews at once and is remembered as device ids only', async (t) => {
    const before = await localState(page)
    const cam = cams.find((c) => c.label === 'fake_device_2')!
    const mic = mics.find((m) => m.value !== before.mic && m.value !== 'default') ?? mics[0]!
    const speaker = speakers.find((s) => s.value !== 'default') ?? speakers[0]!
    await page.getByLabel('Camera to use', { exact: true }).selectOption(cam.value)
    await page.getByLabel('Microphone to use', { exact: true }).selectOption(mic.value)
    // Keyboard: the speaker select is reachable and operable without a pointer.
    await page.getByLabel('Speaker to use', { exact: true }).focus()
    await page.getByLabel('Speaker to use', { exact: true }).selectOption(speaker.value)
    const after = await until(() => localState(page), (s) => s.camera === cam.value && s.mic === mic.value, 10_000)
    t.equal(after.camera, cam.value, `preview shows ${cam.label}`)
    t.equal(after.mic, mic.value, `microphone is ${mic.label}`)
    await page.getByRole('status').filter({ hasText: 'Speaker changed.' }).waitFor({ timeout: 5000 })
    const stored = await page.evaluate(() => ({ keys: Object.keys(localStorage), value: localStorage.getItem('bedside.devices'), session: sessionStorage.length, cookie: document.cookie }))
    t.same(stored.keys, ['bedside.devices'], 'one entry in localStorage')
    t.same(JSON.parse(stored.value!), { camera: cam.value, microphone: mic.value, speaker: speaker.value }, 'holding device ids and nothing else')
    t.same([stored.session, stored.cookie], [0, ''], 'no other storage')

    await page.getByRole('button', { name: 'Play test sound' }).click()
    await page.getByRole('status').filter({ hasText: /Did you hear two beeps/ }).waitFor({ timeout: 5000 })
    t.pass('the test sound played through the chosen speaker')
    await page.screenshot({ path: shot('device-check-choose') })
  })

  const chosen = JSON.parse(await page.evaluate(() => localStorage.getItem('bedside.devices') ?? '{}')) as { camera: string; microphone: string; speaker: string }
  await goWaiting(v)
  await admit(v)
  t.ok((await until(() => mediaCounters(provider.page), (c) => c.framesDecoded > 0, 20_000)).framesDecoded > 0, 'the provider decodes the patient\'s video')

  await t.test('the visit starts on the chosen devices', async (t) => {
    const s = await until(() => localState(page), (x) => x.sinks.length > 0 && x.senderVideo.length > 0, 15_000)
    t.equal(s.camera, chosen.camera, 'camera is the chosen one')
    t.equal(s.mic, chosen.microphone, 'microphone is the chosen one')
    t.ok(s.senderVideo.includes(s.cameraTrack!), 'and it is what the visit sends')
    t.ok(s.sinks.every((x) => x === chosen.speaker), 'remote sound plays on the chosen speaker')
  })

  /** The provider's decoded frames of the patient's video, by the receiving track (unchanged across replaceTrack). */
  const remoteFrames = async (): Promise<number> => {
    const id = await provider.page.evaluate(() => ((document.querySelector('.tile:not(.self) video') as HTMLVideoElement | null)?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id)
    return (await mediaCounters(provider.page)).tracks[id ?? '']?.count ?? 0
  }

  await t.test('switching the camera mid-call swaps the sender\'s track; the provider keeps decoding', async (t) => {
    await page.getByText('Camera, microphone and speaker').click()
    const before = await localState(page)
    const framesBefore = await until(remoteFrames, (n) => n > 0, 10_000)
    const other = cams.find((c) => c.label === 'fake_device_0')!
    t.not(other.value, before.camera, 'a different camera')
    await page.getByLabel('Camera to use', { exact: true }).selectOption(other.value)
    const after = await until(() => localState(page), (s) => s.camera === other.value && s.senderVideo.includes(s.cameraTrack!), 10_000)
    t.equal(after.camera, other.value, `now on ${other.label}`)
    t.notOk(after.senderVideo.includes(before.cameraTrack!), 'the old track left the sender')
    t.ok(after.senderVideo.includes(after.cameraTrack!), 'the new track is in the sender')
    const framesAfter = await until(remoteFrames, (n) => n > framesBefore + 20, 10_000)
    t.ok(framesAfter > framesBefore + 20, `provider's inbound-rtp framesDecoded of the patient keeps growing: ${framesBefore} -> ${framesAfter}`)
    const later = await localState(page)
    t.same(later.sdp, before.sdp, 'no renegotiation: every session description is unchanged')
    t.equal(later.peers, before.peers, 'same peer connections')
    await page.getByRole('status').filter({ hasText: 'Camera changed.' }).waitFor({ timeout: 5000 })
    await page.screenshot({ path: shot('visit-switch-camera') })
  })

  await t.test('a muted microphone stays muted when switched', async (t) => {
    await page.getByRole('button', { name: 'Microphone' }).click()
    await provider.page.locator('.tile.muted').waitFor({ timeout: 10_000 })
    const before = await localState(page)
    const other = mics.find((m) => m.value !== before.mic && m.value !== 'default')!
    await page.getByLabel('Microphone to use', { exact: true }).selectOption(other.value)
    const after = await until(() => localState(page), (s) => s.mic === other.value, 10_000)
    t.equal(after.micEnabled, false, 'the new microphone track is muted')
    t.ok(after.senderAudio.some((a) => !a.enabled), 'and so is what the sender carries')
    t.equal(await page.getByRole('button', { name: 'Microphone' }).getAttribute('aria-pressed'), 'true', 'the mute button still says muted')
    t.equal(await provider.page.locator('.tile.muted').count(), 1, 'the provider still sees the patient muted')
    t.same(after.sdp, before.sdp, 'no renegotiation')
    await page.getByRole('button', { name: 'Microphone' }).click()
    await provider.page.locator('.tile.muted').waitFor({ state: 'detached', timeout: 10_000 })
    const f = await flowing(provider.page)
    t.ok(f.ok, `unmuted on the new microphone, media flows: audio packets ${f.before.audioPackets} -> ${f.after.audioPackets}`)
  })

  await t.test('the speaker can be changed mid-call', async (t) => {
    const other = speakers.find((s) => s.value !== chosen.speaker)!
    await page.getByLabel('Speaker to use', { exact: true }).selectOption(other.value)
    const s = await until(() => localState(page), (x) => x.sinks.length > 0 && x.sinks.every((y) => y === other.value), 5000)
    t.ok(s.sinks.every((y) => y === other.value), `remote sound now on ${other.label}`)
  })

  await t.test('a camera that goes away (unplugged) is replaced by the default and the user is told', async (t) => {
    const before = await localState(page)
    const framesBefore = await remoteFrames()
    // Fake devices cannot be unplugged: end the track as the browser does when its device disappears.
    // The default is fake_device_0 again, so this also proves a fresh track of the same device goes through replaceTrack.
    await page.evaluate(() => {
      const track = ((document.querySelector('.tile.self video') as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0]!
      track.stop()
      track.dispatchEvent(new Event('ended'))
    })
    await page.getByRole('status').filter({ hasText: 'Your camera was disconnected; now using the default camera.' }).waitFor({ timeout: 10_000 })
    const after = await until(() => localState(page), (s) => s.cameraTrack !== before.cameraTrack && s.senderVideo.includes(s.cameraTrack!), 10_000)
    t.not(after.cameraTrack, before.cameraTrack, 'a fresh camera track')
    t.ok(after.senderVideo.includes(after.cameraTrack!), 'sent in place of the ended one')
    const framesAfter = await until(remoteFrames, (n) => n > framesBefore + 20, 10_000)
    t.ok(framesAfter > framesBefore + 20, `the provider keeps decoding: ${framesBefore} -> ${framesAfter}`)
  })

  await t.test('devicechange: a headset (microphone and speaker) that disappears is replaced by the defaults', async (t) => {
    const headsetOut = speakers.find((s) => s.value !== 'default')!
    await page.getByLabel('Speaker to use', { exact: true }).selectOption(headsetOut.value)
    await until(() => localState(page), (x) => x.sinks.every((y) => y === headsetOut.value), 5000)
    const before = await localState(page)
    t.not(before.mic, 'default', 'on a named microphone')
    // Fake devices cannot be unplugged: the page's device list loses them and the browser's event fires, as on unplugging.
    await page.evaluate((gone) => {
      const md = navigator.mediaDevices
      const w = window as unknown as { __enumerate: typeof md.enumerateDevices }
      w.__enumerate = md.enumerateDevices.bind(md)
      md.enumerateDevices = async () => (await w.__enumerate()).filter((d) => !gone.includes(d.deviceId))
      md.dispatchEvent(new Event('devicechange'))
    }, [before.mic!, headsetOut.value])
    await page.getByRole('status').filter({ hasText: 'Your microphone was disconnected; now using the default microphone. Your speaker was disconnected; sound now plays on the default speaker.' }).waitFor({ timeout: 10_000 })
    const after = await until(() => localState(page), (x) => x.mic !== before.mic && x.sinks.every((y) => y === ''), 5000)
    t.not(after.mic, before.mic, `microphone now ${after.mic}`)
    t.ok(after.sinks.every((y) => y === ''), 'remote sound on the default speaker')
    t.equal(await page.getByLabel('Microphone to use', { exact: true }).inputValue(), after.mic, 'the microphone list shows the one now in use')
    t.equal(await page.getByLabel('Speaker to use', { exact: true }).inputValue(), 'default', 'the speaker list shows the default')
    t.same(after.sdp, before.sdp, 'no renegotiation')
    const f = await flowing(provider.page)
    t.ok(f.ok, `the provider still hears and sees the patient: audio packets ${f.before.audioPackets} -> ${f.after.audioPackets}`)
    await page.evaluate(() => {
      const md = navigator.mediaDevices
      md.enumerateDevices = (window as unknown as { __enumerate: typeof md.enumerateDevices }).__enumerate
    })
  })

  await t.test('the remembered choice comes back on the next device check', async (t) => {
    await page.getByRole('button', { name: 'Leave' }).click()
    await page.getByRole('button', { name: 'Back to my appointments' }).click()
    await page.getByRole('button', { name: 'Check my camera and microphone' }).click()
    await page.getByRole('heading', { name: 'Device check' }).waitFor()
    const prefs = JSON.parse(await page.evaluate(() => localStorage.getItem('bedside.devices') ?? '{}')) as Record<string, string>
    const s = await until(() => localState(page), (x) => x.camera === prefs.camera, 10_000)
    t.equal(s.camera, prefs.camera, 'the preview opens the remembered camera (the last one picked)')
    t.equal(await page.getByLabel('Camera to use', { exact: true }).inputValue(), prefs.camera, 'and the list shows it chosen')
    t.equal(await page.getByLabel('Microphone to use', { exact: true }).inputValue(), prefs.microphone, 'the remembered microphone too')
  })

  for (const [name, b] of [['patient', patient], ['provider', provider]] as const) {
    t.same(await cspViolations(b.page), [], `${name}: no CSP violations`)
    t.same(b.problems.filter((p) => !/favicon/.test(p)), [], `${name}: no console errors`)
  }
})
