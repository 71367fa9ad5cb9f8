import { existsSync } from 'node:fs'
import t from 'tap'
import { cspViolations, exclusiveBrowsers, flowing, mediaCounters, sleep, until } from './helpers.js'
import { admit, goWaiting, toWaitingRoom } from './visit-flow.js'

const haveChromium = existsSync('/usr/bin/chromium')
const shot = (name: string) => `test/screenshots/${name}.png`

t.test('patient and provider: device check, waiting room, admit, media both ways, screen share, chat, end', {
  skip: !haveChromium && 'no chromium', timeout: 180_000
}, async (t) => {
  await exclusiveBrowsers(t)
  const v = await toWaitingRoom(t)
  const { patient, provider } = v

  // Device check: preview, mic level and the TURN paths the patient's browser could use.
  const paths = await patient.page.locator('.paths li').allTextContents()
  t.comment(`device check: ${paths.join(' | ')}`)
  t.ok(paths.some((p) => /TURN UDP\): works/.test(p)), 'TURN over UDP works')
  t.ok(paths.some((p) => /TURN TCP\): works/.test(p)), 'TURN over TCP works')
  t.equal(await patient.page.locator('[data-check=camera]').textContent(), 'Working')
  t.equal(await patient.page.locator('[data-check=microphone]').textContent(), 'Working')
  await patient.page.screenshot({ path: shot('device-check') })

  // The provider sees the patient waiting, with the device-check result, before admitting.
  const entry = provider.page.locator('.queue-entry').first()
  await entry.waitFor()
  const summary = await until(() => entry.locator('.check-summary').textContent(), (s) => /connection (direct|TURN)/.test(s ?? ''), 10_000)
  t.match(summary, /Camera ok · microphone ok · connection (direct|TURN UDP|TURN TCP)/, 'queue shows the device check')
  await provider.page.screenshot({ path: shot('provider-queue') })

  await goWaiting(v)
  await patient.page.screenshot({ path: shot('waiting-room') })

  await t.test('a waiting patient cannot get into the visit on its own', async (t) => {
    await sleep(1500)
    t.equal((await mediaCounters(patient.page)).videoInbound, 0, 'no media reaches the waiting room')
    t.equal(await patient.page.locator('.tile').count(), 0, 'no visit on screen')
    // Straight on the page's own socket, bypassing the UI: the server refuses.
    const codes = await patient.page.evaluate(async () => {
      const ws = (window as unknown as { __ws: WebSocket[] }).__ws.find((s) => s.readyState === WebSocket.OPEN)!
      const ask = (id: number, method: string, data: unknown) => new Promise<string>((resolve) => {
        const on = (e: MessageEvent) => {
          const m = JSON.parse(String(e.data))
          if (m.id === id) { ws.removeEventListener('message', on); resolve(m.ok ? 'ok' : m.error.code) }
        }
        ws.addEventListener('message', on)
        ws.send(JSON.stringify({ id, method, data }))
      })
      return [
        await ask(900001, 'setCapabilities', { capabilities: { engine: 'werift' } }),
        await ask(900002, 'createTransport', { direction: 'recv' }),
        await ask(900003, 'chat', { text: 'let me in' }),
        await ask(900004, 'admit', { participantId: 'self' })
      ]
    })
    t.same(codes, Array(4).fill('BDS_WS_NOT_ADMITTED'), 'media, chat and admit are refused while waiting')
    t.equal(await patient.page.getByRole('heading', { name: 'Waiting room' }).count(), 1, 'still in the waiting room')
  })

  await admit(v)

  t.ok(v.sockets.length >= 2, 'both browsers opened a signalling socket')
  t.ok(v.sockets.every((u) => /\/ws\?route=[0-9a-f]{16}$/.test(u)), 'on the ticket\'s path with its routing key')
  t.equal(new Set(v.sockets.map((u) => new URL(u).search)).size, 1, 'the same key for both: a proxy keeps the visit on one API process')

  await t.test('the visit can be driven from the keyboard', async (t) => {
    await provider.page.locator('#visit-title').focus()
    const seen: string[] = []
    for (let i = 0; i < 12; i++) {
      await provider.page.keyboard.press('Tab')
      seen.push(await provider.page.evaluate(() => {
        const e = document.activeElement as HTMLElement
        return e.getAttribute('aria-label') ?? (e.textContent?.trim() || e.id)
      }))
    }
    t.comment(`tab order: ${seen.join(' → ')}`)
    const order = ['Microphone', 'Camera', 'Share screen', 'End visit', 'chat-input', 'Send']
    const at = order.map((x) => seen.indexOf(x))
    t.ok(at.every((i) => i >= 0) && at.every((i, k) => k === 0 || i > at[k - 1]!), 'controls, then chat, in order')
    // Space on the focused mute button mutes, as a pointer click would.
    await provider.page.getByRole('button', { name: 'Microphone' }).focus()
    await provider.page.keyboard.press('Space')
    t.equal(await provider.page.getByRole('button', { name: 'Microphone' }).getAttribute('aria-pressed'), 'true', 'muted by keyboard')
    await provider.page.keyboard.press('Space')
    t.equal(await provider.page.getByRole('button', { name: 'Microphone' }).getAttribute('aria-pressed'), 'false', 'unmuted by keyboard')
  })

  await t.test('media flows both ways after admission', async (t) => {
    // mediasoup is ICE-lite; werift is a full ICE agent.
    const lite = await patient.page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
      .some((pc) => pc.connectionState !== 'closed' && /a=ice-lite/.test(pc.remoteDescription?.sdp ?? '')))
    t.equal(lite ? 'mediasoup' : 'werift', process.env.WEB_TEST_ENGINE ?? 'werift', `the visit runs on ${lite ? 'mediasoup' : 'werift'}`)
    for (const [name, b] of [['patient', patient], ['provider', provider]] as const) {
      await until(() => mediaCounters(b.page), (c) => c.framesDecoded > 0 && c.samplesReceived > 0, 20_000)
      const f = await flowing(b.page)
      t.ok(f.ok, `${name}: framesDecoded ${f.before.framesDecoded} -> ${f.after.framesDecoded}, totalSamplesReceived ${f.before.samplesReceived} -> ${f.after.samplesReceived}`)
    }
  })

  await t.test('screen share reaches the provider', async (t) => {
    await patient.page.getByRole('button', { name: 'Share screen' }).click()
    await provider.page.locator('.tile.screen video').waitFor({ timeout: 15_000 })
    const c = await until(() => mediaCounters(provider.page), (x) => x.screenFrames > 5, 15_000)
    t.ok(c.screenFrames > 5, `provider decoded ${c.screenFrames} frames of the shared screen`)
    await provider.page.screenshot({ path: shot('visit-provider-screen-share') })
    await patient.page.getByRole('button', { name: 'Stop sharing' }).click()
    await provider.page.locator('.tile.screen').waitFor({ state: 'hidden', timeout: 10_000 })
    t.pass('stopping the share hides it on the other side')
  })

  await t.test('chat round-trips', async (t) => {
    await patient.page.getByRole('textbox', { name: 'Message' }).fill('Hello, can you hear me?')
    await patient.page.getByRole('textbox', { name: 'Message' }).press('Enter')
    await provider.page.locator('.chat-log li', { hasText: 'Hello, can you hear me?' }).waitFor({ timeout: 10_000 })
    await provider.page.getByRole('textbox', { name: 'Message' }).fill('Yes, loud and clear.')
    await provider.page.getByRole('button', { name: 'Send' }).click()
    await patient.page.locator('.chat-log li', { hasText: 'Yes, loud and clear.' }).waitFor({ timeout: 10_000 })
    t.match(await patient.page.locator('.chat-log li').first().textContent(), /^You/, 'own message shown as You')
    t.match(await patient.page.locator('.chat-log li').nth(1).textContent(), /^Provider/, 'reply shown as from the provider')
  })

  await t.test('mute and camera off are seen by the other side', async (t) => {
    await patient.page.getByRole('button', { name: 'Camera' }).click()
    await provider.page.locator('.tile.camera-off').waitFor({ timeout: 10_000 })
    await patient.page.getByRole('button', { name: 'Microphone' }).click()
    await provider.page.locator('.tile.muted').waitFor({ timeout: 10_000 })
    t.equal(await patient.page.getByRole('button', { name: 'Camera' }).getAttribute('aria-pressed'), 'true')
    await patient.page.screenshot({ path: shot('visit-patient-muted') })
    await patient.page.getByRole('button', { name: 'Camera' }).click()
    await patient.page.getByRole('button', { name: 'Microphone' }).click()
    await provider.page.locator('.tile.camera-off').waitFor({ state: 'detached', timeout: 10_000 })
    const f = await flowing(provider.page)
    t.ok(f.ok, 'media flows again after unmuting')
  })

  await patient.page.waitForTimeout(2500)
  await patient.page.screenshot({ path: shot('visit-patient') })
  await provider.page.screenshot({ path: shot('visit-provider') })
  t.match(await provider.page.locator('.quality').textContent(), /Connection: (good|fair|poor)/, 'quality indicator measured')

  await t.test('the provider ends the visit', async (t) => {
    const end = provider.page.getByRole('button', { name: 'End visit' })
    await end.click()
    await provider.page.getByRole('button', { name: /Confirm: end for everyone/ }).click()
    await patient.page.getByRole('heading', { name: 'Visit ended' }).waitFor({ timeout: 10_000 })
    await provider.page.getByRole('heading', { name: 'Visit ended' }).waitFor({ timeout: 10_000 })
    t.pass('both sides see the visit ended')
    const { rows } = await v.app.db.query<{ status: string }>('SELECT status FROM appointments')
    t.equal(rows[0].status, 'fulfilled', 'appointment fulfilled')
  })

  for (const [name, b] of [['patient', patient], ['provider', provider]] as const) {
    t.same(await cspViolations(b.page), [], `${name}: no CSP violations`)
    t.same(b.problems.filter((p) => !/favicon/.test(p)), [], `${name}: no console errors`)
  }
})
