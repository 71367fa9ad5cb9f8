import type { DeviceCheck } from '../protocol.js'

type DeviceStatus = DeviceCheck['camera']

export interface LocalMedia {
  stream: MediaStream
  camera: DeviceStatus
  microphone: DeviceStatus
}

const statusOf = (err: unknown): DeviceStatus => {
  const name = err instanceof DOMException ? err.name : ''
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'blocked'
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'missing'
  return 'error'
}

/**
 * Camera and microphone, each asked for on its own so one refused or missing
 * device does not cost the other.
 */
export async function openLocalMedia (): Promise<LocalMedia> {
  const stream = new MediaStream()
  let camera: DeviceStatus = 'ok'
  let microphone: DeviceStatus = 'ok'
  if (!navigator.mediaDevices?.getUserMedia) return { stream, camera: 'error', microphone: 'error' }
  try {
    const v = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 20 } } })
    for (const t of v.getVideoTracks()) stream.addTrack(t)
  } catch (err) { camera = statusOf(err) }
  try {
    const a = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } })
    for (const t of a.getAudioTracks()) stream.addTrack(t)
  } catch (err) { microphone = statusOf(err) }
  return { stream, camera, microphone }
}

export function stopMedia (stream: MediaStream | undefined): void {
  for (const t of stream?.getTracks() ?? []) t.stop()
}

/**
 * Calls onLevel with the microphone's loudness (0..1) about 10 times a
 * second. Returns a function that stops it and frees the AudioContext.
 */
export function watchLevel (track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  const ctx = new AudioContext()
  const source = ctx.createMediaStreamSource(new MediaStream([track]))
  const analyser = ctx.createAnalyser()
  analyser.fftSize = 512
  source.connect(analyser)
  const buf = new Float32Array(analyser.fftSize)
  void ctx.resume().catch(() => undefined)
  const timer = window.setInterval(() => {
    analyser.getFloatTimeDomainData(buf)
    let sum = 0
    for (const x of buf) sum += x * x
    // RMS to a 0..1 scale that moves visibly for speech (about -50..0 dBFS).
    const db = 20 * Math.log10(Math.sqrt(sum / buf.length) || 1e-6)
    onLevel(Math.max(0, Math.min(1, (db + 50) / 50)))
  }, 100)
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    window.clearInterval(timer)
    source.disconnect()
    void ctx.close()
  }
}
