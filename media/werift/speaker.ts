/**
 * Dominant speaker from the ssrc-audio-level header extension (RFC 6464):
 * level is -dBov, 0 loudest, 127 silence. A smoothed loudness per producer is
 * compared every `intervalMs`; a change of the loudest one above the silence
 * floor is reported. Simpler than mediasoup's observer, enough for a few people.
 */
export interface SpeakerDetector {
  add (producerId: string): void
  remove (producerId: string): void
  level (producerId: string, dBov: number): void
  close (): void
}

const SILENCE_DBOV = 70
const SMOOTHING = 0.2

export function createSpeakerDetector (onDominant: (producerId: string) => void, intervalMs = 300): SpeakerDetector {
  const loudness = new Map<string, number>()
  let dominant: string | undefined
  const timer = setInterval(() => {
    let best: string | undefined
    let bestValue = 127 - SILENCE_DBOV
    for (const [id, v] of loudness) if (v > bestValue) { best = id; bestValue = v }
    if (best !== undefined && best !== dominant) { dominant = best; onDominant(best) }
  }, intervalMs)
  timer.unref()
  return {
    add (id) { loudness.set(id, 0) },
    remove (id) { loudness.delete(id); if (dominant === id) dominant = undefined },
    level (id, dBov) {
      const prev = loudness.get(id)
      if (prev === undefined) return
      loudness.set(id, prev + SMOOTHING * ((127 - dBov) - prev))
    },
    close () { clearInterval(timer); loudness.clear() }
  }
}
