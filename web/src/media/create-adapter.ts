import type { EngineKind } from '../protocol.js'
import type { AdapterOptions, MediaAdapter } from './adapter.js'
import { createMediasoupAdapter } from './mediasoup-adapter.js'
import { createWeriftAdapter } from './werift-adapter.js'

/** The adapter for the engine the room runs (its capabilities name it). */
export function createAdapter (engine: EngineKind, o: AdapterOptions): MediaAdapter {
  return engine === 'mediasoup' ? createMediasoupAdapter(o) : createWeriftAdapter(o)
}
