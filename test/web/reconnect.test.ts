import { existsSync } from 'node:fs'
import t from 'tap'
import { exclusiveBrowsers, flowing, freshFlow, mediaCounters, sleep, until } from './helpers.js'
import { admit, goWaiting, toWaitingRoom } from './visit-flow.js'

const haveChromium = existsSync('/usr/bin/chromium')

t.test('media comes back after a dropped socket and after 5 s offline, without a new admission', {
  skip: !haveChromium && 'no chromium', timeout: 180_000
}, async (t) => {
  await exclusiveBrowsers(t)
  // The patient's media can only go through a UDP gate in front of TURN, so its network can really be taken away.
  const v = await toWaitingRoom(t, { gatedPatient: true })
  const { patient, provider } = v
  await goWaiting(v)
  await admit(v)
  for (const b of [patient, provider]) {
    await until(() => mediaCounters(b.page), (c) => c.framesDecoded > 0 && c.samplesReceived > 0, 20_000)
  }
  const admitsBefore = await v.app.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'visit.admit'`).then((r) => r.rows[0].n as number)

  /** Waits for media on new tracks on both sides; returns seconds since `from`. */
  const recovered = async (from: number): Promise<number> => {
    const oldP = new Set(Object.keys((await mediaCounters(patient.page)).tracks))
    const oldD = new Set(Object.keys((await mediaCounters(provider.page)).tracks))
    const done = { p: false, d: false }
    while (Date.now() - from < 20_000 && !(done.p && done.d)) {
      const [p, d] = await Promise.all([done.p || freshFlow(patient.page, oldP, 1000), done.d || freshFlow(provider.page, oldD, 1000)])
      done.p = p; done.d = d
    }
    return done.p && done.d ? (Date.now() - from) / 1000 : Infinity
  }

  await t.test('the patient\'s socket drops mid-visit', async (t) => {
    const from = Date.now()
    const measuring = recovered(from)
    await patient.page.evaluate(() => {
      for (const ws of (window as unknown as { __ws: WebSocket[] }).__ws) if (ws.readyState === WebSocket.OPEN) ws.close(4999)
    })
    const secs = await measuring
    const marks = await patient.page.evaluate((t0) => performance.getEntriesByType('mark')
      .filter((m) => m.name.startsWith('bedside:') && performance.timeOrigin + m.startTime >= t0)
      .map((m) => `${m.name.slice(14)} +${Math.round(performance.timeOrigin + m.startTime - t0)}ms`), from)
    t.comment(`patient rebuild: ${marks.join(', ')}`)
    t.ok(secs < 10, `media on new tracks both ways ${secs.toFixed(1)} s after the drop`)
    t.equal(await patient.page.getByRole('heading', { name: 'Video visit' }).count(), 1, 'the patient stayed in the visit')
  })

  await t.test('the patient\'s network goes away for 5 s', async (t) => {
    const gate = v.gate!
    const cdp = await patient.context.newCDPSession(patient.page)
    await cdp.send('Network.enable')
    // DevTools offline cuts the page's HTTP and WebSocket (and fires offline/online); the gate cuts its media.
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
    gate.setOpen(false)
    await sleep(1500)
    const during = await flowing(provider.page, 2000)
    t.notOk(during.ok, `media really stopped: provider frames ${during.before.framesDecoded} -> ${during.after.framesDecoded}, audio packets ${during.before.audioPackets} -> ${during.after.audioPackets}`)
    await sleep(5000 - 1500 - 2000)
    const state = await patient.page.locator('.status').first().textContent()
    const sockets = await patient.page.evaluate(() => (window as unknown as { __ws: WebSocket[] }).__ws.map((w) => w.readyState))
    t.comment(`patient status while offline: "${state}", socket states ${JSON.stringify(sockets)}, ${gate.dropped} datagrams dropped`)
    gate.setOpen(true)
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
    const back = Date.now()
    const both = await until(async () => [await flowing(patient.page, 1000), await flowing(provider.page, 1000)],
      ([a, b]) => a.ok && b.ok, 15_000, 0)
    const secs = (Date.now() - back) / 1000
    t.ok(both[0].ok && both[1].ok && secs < 10, `media flowing both ways ${secs.toFixed(1)} s after the network came back`)
    const marks = await patient.page.evaluate((t0) => performance.getEntriesByType('mark')
      .filter((m) => m.name.startsWith('bedside:') && performance.timeOrigin + m.startTime >= t0)
      .map((m) => `${m.name.slice(14)} +${Math.round(performance.timeOrigin + m.startTime - t0)}ms`), back)
    t.comment(`patient media rebuilds after the outage: ${marks.join(', ') || 'none (ICE recovered in place)'}`)
    t.equal(await patient.page.getByRole('heading', { name: 'Video visit' }).count(), 1, 'the patient stayed in the visit')
  })

  await t.test('a 12 s media outage: the patient restarts ICE and media returns', async (t) => {
    const gate = v.gate!
    const from = Date.now()
    gate.setOpen(false)
    await sleep(12_000)
    gate.setOpen(true)
    const back = Date.now()
    const both = await until(async () => [await flowing(patient.page, 1000), await flowing(provider.page, 1000)],
      ([a, b]) => a.ok && b.ok, 15_000, 0)
    const secs = (Date.now() - back) / 1000
    const marks = await patient.page.evaluate((t0) => performance.getEntriesByType('mark')
      .filter((m) => m.name.startsWith('bedside:') && performance.timeOrigin + m.startTime >= t0)
      .map((m) => `${m.name.slice(14)} +${Math.round(performance.timeOrigin + m.startTime - t0)}ms`), from)
    t.comment(`patient media rebuilds since the outage began: ${marks.join(', ') || 'none'}`)
    t.ok(marks.some((m) => m.startsWith('build')), 'the stalled transport was replaced (ICE restart through the server)')
    t.ok(both[0].ok && both[1].ok && secs < 10, `media flowing both ways ${secs.toFixed(1)} s after the network came back`)
  })

  await t.test('no new admission was needed', async (t) => {
    const admits = await v.app.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'visit.admit'`).then((r) => r.rows[0].n as number)
    t.equal(admitsBefore, 1, 'admitted once')
    t.equal(admits, admitsBefore, 'and never again')
    t.equal(await provider.page.locator('.queue-entry').count(), 0, 'nobody back in the queue')
  })
})
