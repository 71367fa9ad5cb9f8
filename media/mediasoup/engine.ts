import type { EngineLogger, MediaEngine, MediaEngineConfig } from '../engine.js'
import { MediaEngineUnavailable } from '../errors.js'

// Placeholder until the mediasoup engine lands: auto falls back to werift.
export async function createMediasoupEngine (_config: MediaEngineConfig, _log: EngineLogger): Promise<MediaEngine> {
  throw new MediaEngineUnavailable('mediasoup engine not built yet')
}
