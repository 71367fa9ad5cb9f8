import type { MediaEngine, MediaKind, MediaSource, ParticipantRef } from '../../../media/engine.js'

/** One participant's browser (or stand-in) as the engine contract sees it. */
export interface TestClient {
  ref: ParticipantRef
  publish (kind: MediaKind, source: MediaSource, opts?: { codec?: 'VP8' | 'H264' }): Promise<{ producerId: string; keyframeRequests?: () => number }>
  /** Negotiates a consumer; it stays paused until the test resumes it. received(): RTP packets so far. */
  subscribe (producerId: string): Promise<{ consumerId: string; received (): Promise<number>; framesDecoded? (): Promise<number>; frameWidth? (): Promise<number> }>
  close (): Promise<void>
}

export interface ClientDriver {
  name: string
  /** Real encoders and audio (Chromium): frames decode, audio levels drive activeSpeaker, H264 can be chosen. */
  realMedia?: boolean
  join (engine: MediaEngine, ref: ParticipantRef): Promise<TestClient>
  close (): Promise<void>
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export async function waitFor (what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await ok()) return
    await sleep(100)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
