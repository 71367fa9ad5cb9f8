import t from 'tap'
import { createWeriftEngine } from '../../media/werift/engine.js'
import { clientPeer, joinNodeClient } from './helpers/werift-client.js'
import { sleep, waitFor } from './helpers/client.js'

/**
 * Subscribers' keyframe requests reach the publisher merged: a burst of PLIs
 * from several subscribers becomes about one PLI per 300 ms, not one each.
 */
t.test('PLI from subscribers is relayed to the publisher, throttled', async (t) => {
  const engine = createWeriftEngine({
    engine: 'werift', listenIp: '127.0.0.1', rtcMinPort: 20000, rtcMaxPort: 59999, iceServers: [],
    workers: 1, maxIncomingBitrate: 1_500_000, initialOutgoingBitrate: 600_000
  })
  t.teardown(() => engine.close())
  const visitId = 'kf-visit'
  await engine.createRoom(visitId)
  const a = await joinNodeClient(engine, { visitId, participantId: 'a' })
  const cam = await a.publish('video', 'camera')

  // Subscribers built by hand so the test can send RTCP from their receivers.
  const subs: { pc: ReturnType<typeof clientPeer>; tr: ReturnType<ReturnType<typeof clientPeer>['getTransceivers']>[number] }[] = []
  for (const id of ['b', 'c', 'd']) {
    const ref = { visitId, participantId: id }
    await engine.addParticipant(ref, { engine: 'werift' })
    const { id: tid } = await engine.createTransport(ref, 'recv')
    const consumed = await engine.consume(ref, tid, cam.producerId)
    const offer = consumed.offer
    if (offer.engine !== 'werift') throw new Error('engine')
    const pc = clientPeer()
    t.teardown(() => pc.close())
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.offer })
    await pc.setLocalDescription(await pc.createAnswer())
    await engine.connectTransport(ref, tid, { engine: 'werift', answer: pc.localDescription!.sdp })
    await engine.resumeConsumer(ref, consumed.consumerId)
    const tr = pc.getTransceivers().find((x) => x.mid === offer.mid)!
    subs.push({ pc, tr })
  }
  await waitFor('subscribers connected and receiving', () => subs.every((s) => s.pc.connectionState === 'connected' && s.tr.receiver.tracks[0]?.ssrc))
  await sleep(700) // let the connect-time keyframe requests settle
  const before = cam.keyframeRequests!()

  // 3 subscribers × 20 PLIs over ~1 s = 60 requests.
  const started = Date.now()
  for (let i = 0; i < 20; i++) {
    for (const s of subs) await s.tr.receiver.sendRtcpPLI(s.tr.receiver.tracks[0]!.ssrc!)
    await sleep(50)
  }
  await sleep(400)
  const elapsed = Date.now() - started
  const relayed = cam.keyframeRequests!() - before
  t.ok(relayed >= 2, `PLIs reach the publisher (${relayed})`)
  t.ok(relayed <= Math.ceil(elapsed / 300) + 1, `at most one per 300 ms: ${relayed} in ${elapsed} ms for 60 requests`)
  await a.close()
})
