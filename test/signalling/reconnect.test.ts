import t from 'tap'
import { CloseCodes } from '../../signalling/protocol.js'
import { cast, Client, joinAs, signallingApp, ticketFor } from './helpers.js'
import { mediaOver, until } from './media-client.js'

t.test('reconnect within the grace period', async (t) => {
  const { app, url } = await signallingApp(t, { WS_RESUME_GRACE: '2' })
  const { patient, provider, appointmentId } = await cast(app)
  const prov = await joinAs(url, app, provider, appointmentId)
  const provMedia = mediaOver(prov.c)
  t.teardown(() => provMedia.close())
  await provMedia.start()
  const pat = await joinAs(url, app, patient, appointmentId)
  const q = await prov.c.next('queue', (d) => d.entries.length === 1)
  const patientId = q.entries[0].participantId

  t.test('a waiting patient keeps its place in the queue', async (t) => {
    pat.c.drop()
    await prov.c.next('queue', (d) => d.entries[0]?.connected === false)
    const back = await Client.open(url)
    const r = await back.call('resume', { version: 1, resumeToken: pat.result.resumeToken })
    t.equal(r.state, 'waiting')
    t.equal(r.participantId, patientId, 'same participant')
    await prov.c.next('queue', (d) => d.entries[0]?.connected === true)
    pat.c = back
    pat.result = r
  })

  let patMedia: ReturnType<typeof mediaOver>
  t.teardown(() => patMedia?.close())

  t.test('an admitted patient comes back without a new admission, media restarted', async (t) => {
    await prov.c.call('admit', { participantId: patientId })
    await pat.c.next('admitted')
    patMedia = mediaOver(pat.c)
    await patMedia.start()
    const cam = await patMedia.publish('video')
    await prov.c.next('newProducer', (d) => d.producer.producerId === cam)
    const sub = await provMedia.subscribe(cam)
    await until('provider gets video', () => sub.packets() > 10)

    const oldToken = pat.result.resumeToken
    pat.c.drop()
    const gone = await prov.c.next('participantDisconnected')
    t.same(gone, { participantId: patientId, graceMs: 2000 })
    await patMedia.reset()

    const back = await Client.open(url)
    const r = await back.call('resume', { version: 1, resumeToken: oldToken })
    t.equal(r.state, 'admitted', 'still admitted')
    if (r.state !== 'admitted') return
    t.equal(r.visit.you.participantId, patientId)
    t.equal(r.visit.iceServers.length, 1, 'fresh TURN credentials')
    t.not(r.resumeToken, oldToken, 'the resume token rotates')
    t.same(await prov.c.next('participantReconnected'), { participantId: patientId })
    await prov.c.next('producerClosed', (d) => d.producerId === cam)
    t.notOk(r.visit.producers.some((p) => p.participantId === patientId), 'old media gone (ICE restart)')

    patMedia = mediaOver(back)
    await patMedia.start()
    const cam2 = await patMedia.publish('video')
    await prov.c.next('newProducer', (d) => d.producer.producerId === cam2)
    const sub2 = await provMedia.subscribe(cam2)
    await until('video flows again', () => sub2.packets() > 10)

    const reuse = await Client.open(url)
    const rr = await reuse.request('resume', { version: 1, resumeToken: oldToken })
    t.equal(rr.ok ? 'ok' : rr.error.code, 'BDS_WS_TICKET_INVALID', 'a resume token works once')
    t.equal((await reuse.closed).code, CloseCodes.ticketInvalid)
    pat.c = back
    pat.result = r
  })

  t.test('restartIce on a live socket', async (t) => {
    const r = await pat.c.call('restartIce', {})
    t.ok(r.producers.every((p) => p.participantId !== patientId), 'lists the others\' producers to consume again')
    await prov.c.next('producerClosed')
    await patMedia.reset()
    await patMedia.start()
    const cam3 = await patMedia.publish('video')
    const sub3 = await provMedia.subscribe(cam3)
    await until('video after ICE restart', () => sub3.packets() > 10)
  })

  t.test('a second tab takes over the place', async (t) => {
    const tab = await joinAs(url, app, patient, appointmentId)
    t.equal(tab.result.state, 'admitted', 'same person, same standing')
    t.equal(tab.result.participantId, patientId)
    t.equal((await pat.c.closed).code, CloseCodes.replaced)
    await patMedia.reset()
    pat.c = tab.c
    pat.result = tab.result
  })

  t.test('after the grace period the participant is gone', async (t) => {
    const token = pat.result.resumeToken
    pat.c.drop()
    await prov.c.next('participantDisconnected')
    t.same(await prov.c.next('participantLeft', () => true, 5000), { participantId: patientId, reason: 'timedOut' })
    const late = await Client.open(url)
    const r = await late.request('resume', { version: 1, resumeToken: token })
    t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_TICKET_INVALID')
    const again = await Client.open(url)
    const j = await again.call('join', { version: 1, ticket: await ticketFor(app, patient, appointmentId) })
    t.equal(j.state, 'waiting', 'a new join waits for admission again')
    again.close()
    const leaves = await app.db.query<{ details: { reason: string } }>("SELECT details FROM audit_log WHERE action = 'visit.leave'")
    t.same(leaves.rows.map((r) => r.details.reason), ['timedOut'])
  })
  t.teardown(() => prov.c.close())
})
