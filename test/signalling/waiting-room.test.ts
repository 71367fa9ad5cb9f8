import t from 'tap'
import { CloseCodes } from '../../signalling/protocol.js'
import { appointmentStatus, cast, joinAs, signallingApp, sleep } from './helpers.js'
import { mediaOver, until } from './media-client.js'

const check = { camera: 'ok', microphone: 'blocked', connectivity: 'turn-udp', rttMs: 42 } as const

t.test('waiting room, admission and media', async (t) => {
  const { app, url } = await signallingApp(t)
  const { patient, provider, appointmentId } = await cast(app)

  const prov = await joinAs(url, app, provider, appointmentId)
  t.equal(prov.result.state, 'admitted', 'the provider goes straight in')
  if (prov.result.state !== 'admitted') return
  t.same(prov.result.visit.queue, [], 'and sees an empty queue')
  t.equal(prov.result.visit.iceServers.length, 1, 'with TURN credentials')
  t.match(prov.result.visit.iceServers[0].username, new RegExp(`^\\d+:${prov.result.participantId}$`))
  const provMedia = mediaOver(prov.c)
  t.teardown(() => provMedia.close())
  await provMedia.start()
  const provCam = await provMedia.publish('video')

  const pat = await joinAs(url, app, patient, appointmentId)
  t.equal(pat.result.state, 'waiting', 'the patient waits')
  t.notOk('visit' in pat.result, 'and learns nothing of the visit')
  t.equal(await appointmentStatus(app, appointmentId), 'arrived', 'appointment is arrived')

  await pat.c.call('deviceCheck', check)
  const queue = await prov.c.next('queue', (d) => d.entries.some((e) => e.deviceCheck !== null))
  t.equal(queue.entries.length, 1)
  t.same(queue.entries[0].deviceCheck, check, 'provider sees the device check live')
  t.equal(queue.entries[0].role, 'patient')
  const patientId = queue.entries[0].participantId

  t.test('nothing but waiting-room messages before admission', async (t) => {
    for (const [method, data] of [
      ['setCapabilities', { capabilities: { engine: 'werift' } }], ['createTransport', { direction: 'recv' }],
      ['produce', { transportId: 'x', kind: 'video', source: 'camera', offer: { engine: 'werift', offer: 'v=0 xxxxxxxxxx', mid: '0' } }],
      ['consume', { transportId: 'x', producerId: provCam }], ['resumeConsumer', { consumerId: 'x' }],
      ['chat', { text: 'hello?' }], ['restartIce', {}], ['admit', { participantId: patientId }], ['endVisit', {}]
    ] as const) {
      const r = await pat.c.request(method, data)
      t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_NOT_ADMITTED', method)
    }
    await prov.c.call('chat', { text: 'only for the admitted' })
    await sleep(200)
    t.same(pat.c.events.map((e) => e.event).filter((e) => e !== 'waiting'), [], 'no participant, media or chat events reach the waiting room')
    t.equal((await pat.c.call('ping', {})).now.length > 0, true, 'ping works')
  })

  t.test('a patient cannot admit or invite', async (t) => {
    // (still waiting here; after admission the host-only rule applies, tested below)
    const r = await pat.c.request('inviteGuest', { guestKind: 'family', label: 'Mum' })
    t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_NOT_ADMITTED')
  })

  t.test('admit: the patient gets the visit and media flows both ways', async (t) => {
    await prov.c.call('admit', { participantId: patientId })
    const { visit } = await pat.c.next('admitted')
    t.equal(visit.participants.length, 2)
    t.equal(visit.producers.length, 1, 'sees the provider\'s camera')
    t.equal(visit.iceServers.length, 1, 'gets TURN credentials')
    t.equal(visit.chat.length, 1, 'and the chat so far')
    t.notOk('queue' in visit, 'but not the queue')
    const joined = await prov.c.next('participantJoined')
    t.equal(joined.participant.participantId, patientId)
    const row = await app.db.query<{ state: string }>('SELECT state FROM visits WHERE appointment_id = $1', [appointmentId])
    t.equal(row.rows[0].state, 'in_progress', 'visit in progress')
    t.equal(await appointmentStatus(app, appointmentId), 'arrived', 'FHIR status stays arrived')

    const patMedia = mediaOver(pat.c)
    t.teardown(() => patMedia.close())
    await patMedia.start()
    const sub = await patMedia.subscribe(provCam)
    await until('patient receives provider video', () => sub.packets() > 20)
    const patCam = await patMedia.publish('video')
    const np = await prov.c.next('newProducer')
    t.equal(np.producer.producerId, patCam)
    const provSub = await provMedia.subscribe(patCam)
    await until('provider receives patient video', () => provSub.packets() > 20)
    t.pass('media flows')

    await prov.c.call('pauseProducer', { producerId: provCam })
    t.same(await pat.c.next('producerPaused'), { producerId: provCam, participantId: prov.result.participantId })
    await prov.c.call('resumeProducer', { producerId: provCam })
    await pat.c.next('producerResumed')
    await pat.c.call('setPreferredLayers', { consumerId: sub.consumerId, spatialLayer: 0 })
    await pat.c.call('requestKeyFrame', { consumerId: sub.consumerId })
    await pat.c.call('pauseConsumer', { consumerId: sub.consumerId })
    await pat.c.call('resumeConsumer', { consumerId: sub.consumerId })
    const foreign = await pat.c.request('pauseProducer', { producerId: provCam })
    t.equal(foreign.ok ? 'ok' : foreign.error.code, 'BDS_WS_MEDIA', 'nobody steers another participant\'s producer')
    await prov.c.call('closeProducer', { producerId: provCam })
    t.same(await pat.c.next('producerClosed'), { producerId: provCam, participantId: prov.result.participantId })
    t.same(await pat.c.next('consumerClosed'), { consumerId: sub.consumerId, producerId: provCam })

    const denied = await pat.c.request('sendToWaiting', { participantId: prov.result.participantId })
    t.equal(denied.ok ? 'ok' : denied.error.code, 'BDS_WS_FORBIDDEN', 'a patient is no host')

    await prov.c.call('sendToWaiting', { participantId: patientId })
    t.same(await pat.c.next('waiting'), { reason: 'sentBack' })
    t.same(await prov.c.next('participantLeft'), { participantId: patientId, reason: 'sentToWaiting' })
    await prov.c.next('producerClosed', (d) => d.producerId === patCam)
    const q = await prov.c.next('queue', (d) => d.entries[0]?.sentBack === true)
    t.equal(q.entries[0].sentBack, true)
    const r = await pat.c.request('createTransport', { direction: 'send' })
    t.equal(r.ok ? 'ok' : r.error.code, 'BDS_WS_NOT_ADMITTED', 'sent back means no media again')
    await patMedia.reset()
    const dump = await (await app.signalling.engine()).dump()
    t.equal(dump.participants, 1, 'only the provider is left in the media room')
  })

  t.test('decline closes the waiting socket', async (t) => {
    await prov.c.call('decline', { participantId: patientId })
    await pat.c.next('declined')
    t.equal((await pat.c.closed).code, CloseCodes.declined)
    await prov.c.next('queue', (d) => d.entries.length === 0)
    const again = await prov.c.request('admit', { participantId: patientId })
    t.equal(again.ok ? 'ok' : again.error.code, 'BDS_WS_NOT_FOUND')
    const audit = await app.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_id = $1 AND action LIKE 'visit.%' ORDER BY seq", [appointmentId])
    t.same(audit.rows.map((r) => r.action).filter((a) => a !== 'visit.ticket.issue'),
      ['visit.join', 'visit.join', 'visit.chat', 'visit.admit', 'visit.send_back', 'visit.decline', 'visit.leave'])
  })
  t.teardown(() => { prov.c.close() })
})
