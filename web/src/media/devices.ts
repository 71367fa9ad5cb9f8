import type { DeviceCheck } from '../protocol.js'

type DeviceStatus = DeviceCheck['camera']

export interface LocalMedia {
  stream: MediaStream
  camera: DeviceStatus
  microphone: DeviceStatus
  /** Remembered devices that are gone (unplugged): the browser's default was used instead. */
  fellBack: Array<'camera' | 'microphone'>
}

const statusOf = (err: unknown): DeviceStatus => {
  const name = err instanceof DOMException ? err.name : ''
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'blocked'
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'missing'
  return 'error'
}

/** The stream's camera or microphone track (the first of its kind). */
export const trackOf = (stream: MediaStream, kind: 'camera' | 'microphone'): MediaStreamTrack | undefined =>
  kind === 'camera' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0]

const CAMERA: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 20 } }
const MICROPHONE: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true }

/**
 * One camera or microphone track. With a device id it asks for exactly that
 * device; when the device is gone (unplugged since it was chosen) it takes
 * the browser's default instead and says so, rather than leaving the user
 * without a camera. Refused access is not retried: that answer stands.
 */
export async function openTrack (kind: 'camera' | 'microphone', deviceId?: string): Promise<{ track: MediaStreamTrack; fellBack: boolean }> {
  const base = kind === 'camera' ? CAMERA : MICROPHONE
  const ask = async (c: MediaTrackConstraints): Promise<MediaStreamTrack> => {
    const t = trackOf(await navigator.mediaDevices.getUserMedia(kind === 'camera' ? { video: c } : { audio: c }), kind)
    if (!t) throw new DOMException('no track', 'NotFoundError')
    return t
  }
  if (!deviceId) return { track: await ask(base), fellBack: false }
  try {
    return { track: await ask({ ...base, deviceId: { exact: deviceId } }), fellBack: false }
  } catch (err) {
    if (statusOf(err) !== 'missing') throw err
    return { track: await ask(base), fellBack: true }
  }
}

/**
 * Camera and microphone, each asked for on its own so one refused or missing
 * device does not cost the other. `prefs` names the devices the user chose
 * on the device check (remembered on this browser).
 */
export async function openLocalMedia (prefs: { camera?: string; microphone?: string } = {}): Promise<LocalMedia> {
  const stream = new MediaStream()
  const status = { camera: 'ok' as DeviceStatus, microphone: 'ok' as DeviceStatus }
  const fellBack: LocalMedia['fellBack'] = []
  if (!navigator.mediaDevices?.getUserMedia) return { stream, camera: 'error', microphone: 'error', fellBack }
  for (const kind of ['camera', 'microphone'] as const) {
    try {
      const r = await openTrack(kind, prefs[kind])
      stream.addTrack(r.track)
      if (r.fellBack) fellBack.push(kind)
    } catch (err) { status[kind] = statusOf(err) }
  }
  return { stream, ...status, fellBack }
}

/**
 * Puts `track` in place of the stream's track of the same kind and stops the
 * old one (the camera light goes off). Elements showing the stream follow.
 */
export function swapStreamTrack (stream: MediaStream, track: MediaStreamTrack): MediaStreamTrack | undefined {
  const old = trackOf(stream, track.kind === 'video' ? 'camera' : 'microphone')
  if (old === track) return undefined
  if (old) { stream.removeTrack(old); old.stop() }
  stream.addTrack(track)
  return old
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
