/**
 * Plays two short beeps through the chosen speaker. The tone is made in the
 * page (no sound file to fetch: the CSP allows nothing from elsewhere) and
 * routed through an <audio> element, because setSinkId on the element is
 * what picks the output device (an AudioContext alone would play on the default).
 */
export async function playTestSound (sinkId?: string): Promise<void> {
  const ctx = new AudioContext()
  const dest = ctx.createMediaStreamDestination()
  const gain = ctx.createGain()
  const osc = ctx.createOscillator()
  osc.frequency.value = 660
  osc.connect(gain).connect(dest)
  const t0 = ctx.currentTime + 0.05
  // Two 250 ms beeps with soft edges (a hard start clicks).
  gain.gain.setValueAtTime(0, 0)
  for (const start of [t0, t0 + 0.4]) {
    gain.gain.setValueAtTime(0, start)
    gain.gain.linearRampToValueAtTime(0.3, start + 0.02)
    gain.gain.setValueAtTime(0.3, start + 0.23)
    gain.gain.linearRampToValueAtTime(0, start + 0.25)
  }
  const el = new Audio()
  el.srcObject = dest.stream
  try {
    if (sinkId && 'setSinkId' in el) await el.setSinkId(sinkId)
    await ctx.resume()
    await el.play()
    osc.start(t0)
    osc.stop(t0 + 0.7)
    await new Promise<void>((resolve) => { osc.onended = () => resolve() })
  } finally {
    el.pause()
    el.srcObject = null
    void ctx.close()
  }
}
