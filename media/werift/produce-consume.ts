import { randomUUID } from 'node:crypto'
import type { RTCRtpCodecParameters } from 'werift'
import type { Consumed, MediaEvent, Produced, ProduceRequest } from '../engine.js'
import { MediaBadRequest } from '../errors.js'
import { createForwarder } from './forwarder.js'
import type { WConsumer, WParticipant, WProducer, WRoom, WTransport } from './state.js'

const AUDIO_LEVEL = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level'

/** Applies the browser's offer on its send peer and starts forwarding the new mid. */
export async function produceOn (room: WRoom, part: WParticipant, t: WTransport, req: ProduceRequest): Promise<Produced> {
  if (req.offer.engine !== 'werift') throw new MediaBadRequest('werift transports take a werift offer')
  const { offer, mid } = req.offer
  for (const p of part.producers.values()) {
    if (p.transportId === t.id && p.transceiver.mid === mid) throw new MediaBadRequest(`mid ${mid} is already produced`)
  }
  try {
    await t.pc.setRemoteDescription({ type: 'offer', sdp: offer })
    await t.pc.setLocalDescription(await t.pc.createAnswer())
  } catch {
    // werift throws plain Errors on SDP it cannot use; to the browser that is a bad request.
    // If the peer was left mid-negotiation the engine closes this transport.
    throw new MediaBadRequest('offer could not be applied')
  }
  const transceiver = t.pc.getTransceivers().find((x) => x.mid === mid)
  if (!transceiver || transceiver.kind !== req.kind) throw new MediaBadRequest(`offer has no ${req.kind} section with mid ${mid}`)
  const id = randomUUID()
  const forwarder = createForwarder({
    receiver: transceiver.receiver,
    onPacket: req.kind === 'audio'
      ? (_rtp, ext) => {
          const level = ext?.[AUDIO_LEVEL] as { level?: number } | undefined
          if (typeof level?.level === 'number') room.speaker.level(id, level.level)
        }
      : undefined
  })
  for (const track of transceiver.receiver.tracks) forwarder.attach(track)
  transceiver.onTrack.subscribe((track) => forwarder.attach(track))
  const producer: WProducer = {
    id, participantId: part.id, transportId: t.id, kind: req.kind, source: req.source, transceiver, forwarder
  }
  part.producers.set(id, producer)
  room.producers.set(id, producer)
  if (req.kind === 'audio') room.speaker.add(id)
  return { producerId: id, answer: { engine: 'werift', answer: t.pc.localDescription?.sdp ?? '' } }
}

function sameCodec (a: RTCRtpCodecParameters, b: RTCRtpCodecParameters): boolean {
  if (a.mimeType.toLowerCase() !== b.mimeType.toLowerCase()) return false
  if (!a.mimeType.toLowerCase().endsWith('/h264')) return true
  const mode = (c: RTCRtpCodecParameters): string => /packetization-mode=(\d)/.exec(c.parameters ?? '')?.[1] ?? '0'
  return mode(a) === mode(b)
}

/** Adds a paused sendonly section for the producer to the subscriber's peer and returns the offer. */
export async function consumeOn (part: WParticipant, t: WTransport, producer: WProducer): Promise<Consumed> {
  const gate = t.gate
  if (!gate) throw new MediaBadRequest('consume needs a recv transport')
  await gate.acquire()
  try {
    const codec = producer.transceiver.receiver.tracks[0]?.codec ?? producer.transceiver.codecs[0]
    const transceiver = t.pc.addTransceiver(producer.kind, { direction: 'sendonly' })
    // Forwarded payloads are not transcoded: offer only the publisher's codec.
    transceiver.codecs = (t.pc.config.codecs[producer.kind] ?? []).filter((c) => codec !== undefined && sameCodec(c, codec))
    if (transceiver.codecs.length === 0) throw new MediaBadRequest('publisher codec is not supported for forwarding')
    const id = randomUUID()
    const consumer: WConsumer = {
      id, participantId: part.id, transportId: t.id, producer, transceiver,
      sender: transceiver.sender, paused: true, packets: 0, bytes: 0,
      unsubscribeRtcp: transceiver.sender.onRtcp.subscribe((rtcp) => producer.forwarder.handleSubscriberRtcp(rtcp)).unSubscribe
    }
    producer.forwarder.addSink(consumer)
    part.consumers.set(id, consumer)
    await t.pc.setLocalDescription(await t.pc.createOffer())
    return {
      consumerId: id, producerId: producer.id, kind: producer.kind, source: producer.source, paused: true,
      offer: { engine: 'werift', offer: t.pc.localDescription?.sdp ?? '', mid: transceiver.mid ?? '' }
    }
  } catch (err) {
    gate.answered()
    throw err
  }
}

export function closeConsumer (room: WRoom, part: WParticipant, c: WConsumer, emit: (e: MediaEvent) => void): void {
  if (!part.consumers.delete(c.id)) return
  c.producer.forwarder.removeSink(c.id)
  c.unsubscribeRtcp()
  c.transceiver.sender.stop()
  emit({ type: 'consumerClosed', visitId: room.visitId, participantId: part.id, consumerId: c.id, producerId: c.producer.id })
}

export function closeProducer (room: WRoom, part: WParticipant, p: WProducer, emit: (e: MediaEvent) => void): void {
  if (!part.producers.delete(p.id)) return
  room.producers.delete(p.id)
  room.speaker.remove(p.id)
  for (const other of room.participants.values()) {
    for (const c of other.consumers.values()) if (c.producer === p) closeConsumer(room, other, c, emit)
  }
  p.forwarder.close()
  emit({ type: 'producerClosed', visitId: room.visitId, participantId: part.id, producerId: p.id })
}
