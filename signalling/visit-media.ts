import type { MediaEvent } from '../media/engine.js'
import { conflict } from './errors.js'
import type { Participant } from './participant.js'
import type { DataOf, ResultOf } from './protocol.js'
import type { Visit } from './visit.js'

/**
 * Media requests of an admitted participant, passed to the engine with the
 * participant's own ref: the engine refuses ids that belong to someone else.
 */
export function mediaHandlers (visit: Visit, p: Participant, engine: () => Promise<import('../media/engine.js').MediaEngine>) {
  const ref = { visitId: visit.id, participantId: p.id }
  const joined = () => { if (!p.inMedia) throw conflict('Send setCapabilities before any other media request') }
  const e = engine
  return {
    async setCapabilities (d: DataOf<'setCapabilities'>): Promise<ResultOf<'setCapabilities'>> {
      const eng = await e()
      await eng.createRoom(visit.id)
      await eng.addParticipant(ref, d.capabilities)
      p.inMedia = true
      return {}
    },
    async createTransport (d: DataOf<'createTransport'>): Promise<ResultOf<'createTransport'>> {
      joined()
      return { transport: await (await e()).createTransport(ref, d.direction) }
    },
    async connectTransport (d: DataOf<'connectTransport'>) {
      joined(); await (await e()).connectTransport(ref, d.transportId, d.connect); return {}
    },
    async produce (d: DataOf<'produce'>): Promise<ResultOf<'produce'>> {
      joined()
      const eng = await e()
      const produced = await eng.produce(ref, d.transportId, { kind: d.kind, source: d.source, offer: d.offer })
      const info = eng.listProducers(visit.id).find((x) => x.producerId === produced.producerId)
      if (info) visit.toAdmitted({ event: 'newProducer', data: { producer: info } }, p)
      return produced
    },
    async consume (d: DataOf<'consume'>): Promise<ResultOf<'consume'>> {
      joined()
      return (await e()).consume(ref, d.transportId, d.producerId)
    },
    async resumeConsumer (d: DataOf<'resumeConsumer'>) { joined(); await (await e()).resumeConsumer(ref, d.consumerId); return {} },
    async pauseConsumer (d: DataOf<'pauseConsumer'>) { joined(); await (await e()).pauseConsumer(ref, d.consumerId); return {} },
    async setPreferredLayers (d: DataOf<'setPreferredLayers'>) {
      joined()
      await (await e()).setPreferredLayers(ref, d.consumerId, {
        spatialLayer: d.spatialLayer, ...(d.temporalLayer === undefined ? {} : { temporalLayer: d.temporalLayer })
      })
      return {}
    },
    async requestKeyFrame (d: DataOf<'requestKeyFrame'>) { joined(); await (await e()).requestKeyFrame(ref, d.consumerId); return {} },
    async pauseProducer (d: DataOf<'pauseProducer'>) {
      joined()
      await (await e()).pauseProducer(ref, d.producerId)
      visit.toAdmitted({ event: 'producerPaused', data: { producerId: d.producerId, participantId: p.id } }, p)
      return {}
    },
    async resumeProducer (d: DataOf<'resumeProducer'>) {
      joined()
      await (await e()).resumeProducer(ref, d.producerId)
      visit.toAdmitted({ event: 'producerResumed', data: { producerId: d.producerId, participantId: p.id } }, p)
      return {}
    },
    async closeProducer (d: DataOf<'closeProducer'>) { joined(); await (await e()).closeProducer(ref, d.producerId); return {} },
    /** No in-place ICE restart in the engines: drop this participant's media and let the browser build it again. */
    async restartIce (): Promise<ResultOf<'restartIce'>> {
      const eng = await e()
      await visit.closeMedia(p)
      return { producers: eng.listProducers(visit.id).filter((x) => x.participantId !== p.id) }
    }
  }
}

/** Engine events, routed to who may see them: waiting participants see none. */
export function onMediaEvent (visit: Visit, e: MediaEvent): void {
  if (e.type === 'roomLost') return // the registry restarts the visit's media (visit.restartMedia)
  const owner = visit.participant(e.participantId)
  switch (e.type) {
    case 'activeSpeaker':
      visit.setActiveSpeaker(e.participantId)
      visit.toAdmitted({ event: 'activeSpeaker', data: { participantId: e.participantId, producerId: e.producerId } })
      return
    case 'producerClosed':
      visit.toAdmitted({ event: 'producerClosed', data: { producerId: e.producerId, participantId: e.participantId } })
      return
    case 'consumerClosed':
      if (owner?.state === 'admitted') visit.send(owner, { event: 'consumerClosed', data: { consumerId: e.consumerId, producerId: e.producerId } })
      return
    case 'transportState':
      if (owner?.state === 'admitted') visit.send(owner, { event: 'transportState', data: { transportId: e.transportId, state: e.state } })
  }
}
