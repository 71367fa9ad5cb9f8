import { serial } from './adapter.js'
import { createDevicePicker, type DevicePicker } from './device-picker.js'
import { loadPrefs, savePref, type DeviceRole } from './device-prefs.js'
import { openTrack, swapStreamTrack, trackOf } from './devices.js'

export interface DeviceControlOptions {
  /** The local stream whose camera and microphone tracks are switched in place (the device check opens a new one on "Test again"). */
  stream (): MediaStream
  /** Called with a new track before the old one stops: in a visit, it goes into the producer (no renegotiation). */
  useTrack (track: MediaStreamTrack): Promise<void>
  /** After a track was swapped into the stream (refresh previews, level meter, buttons). */
  swapped (kind: 'camera' | 'microphone'): void
  /** Routes remote or test audio to an output device ('' is the browser's default). */
  setSpeaker? (deviceId: string): Promise<void>
  /** A message for the user (status line, screen reader). */
  tell (text: string): void
}

export interface DeviceControl {
  readonly picker: DevicePicker
  readonly speaker: string
  /** Fills the lists and watches the stream's tracks (call once access was granted: labels appear only then). */
  refresh (): Promise<void>
  close (): void
}

/**
 * Keeps the local stream on the devices the user picks, and on a working
 * device when one goes away: a picked camera or microphone replaces the
 * stream's track (keeping its mute state), a picked speaker is applied and
 * remembered; when the device in use disappears (headset unplugged) the
 * browser's default takes over and the user is told.
 */
export function createDeviceControl (o: DeviceControlOptions): DeviceControl {
  const queue = serial()
  let speaker = loadPrefs().speaker ?? ''
  let closed = false

  const current = (): Partial<Record<DeviceRole, string>> => ({
    camera: trackOf(o.stream(), 'camera')?.getSettings().deviceId,
    microphone: trackOf(o.stream(), 'microphone')?.getSettings().deviceId,
    speaker: speaker || 'default'
  })

  /** Opens `deviceId` (or the default) and swaps it in. Returns whether the device asked for was the one used. */
  const switchTo = async (kind: 'camera' | 'microphone', deviceId: string | undefined): Promise<boolean> => {
    const old = trackOf(o.stream(), kind)
    // Chromium may refuse a second capture of some cameras while the first is open: free it first then.
    let opened: Awaited<ReturnType<typeof openTrack>>
    try {
      opened = await openTrack(kind, deviceId)
    } catch (err) {
      if (!old || (err as DOMException).name !== 'NotReadableError') throw err
      old.stop()
      opened = await openTrack(kind, deviceId)
    }
    const { track, fellBack } = opened
    if (closed) { track.stop(); return false }
    // Muted stays muted: the toggle's state lives in track.enabled (and the paused producer).
    if (old) track.enabled = old.enabled
    await o.useTrack(track)
    swapStreamTrack(o.stream(), track)
    watchEnd(track)
    o.swapped(kind)
    return !fellBack
  }

  const pick = (role: DeviceRole, deviceId: string): void => {
    void queue(async () => {
      if (role === 'speaker') {
        await o.setSpeaker?.(deviceId)
        speaker = deviceId
        savePref('speaker', deviceId)
        o.tell('Speaker changed.')
        return
      }
      const exact = await switchTo(role, deviceId)
      if (exact) savePref(role, deviceId)
      o.tell(exact ? `${role === 'camera' ? 'Camera' : 'Microphone'} changed.` : `That ${role} is not available; using the default ${role}.`)
      picker.show(role, current()[role] ?? '')
    }).catch((err: unknown) => {
      o.tell(`Could not switch the ${role}: ${(err as Error).message}`)
      void picker.refresh(current())
    })
  }
  const picker = createDevicePicker(pick)

  /** A device came or went: the lists follow, and a device in use that is gone is replaced by the default. */
  const recheck = (): Promise<void> => queue(async () => {
    if (closed) return
    const lists = await picker.refresh(current())
    // One message for everything that changed (a headset takes microphone and speaker at once).
    const said: string[] = []
    for (const kind of ['camera', 'microphone'] as const) {
      const t = trackOf(o.stream(), kind)
      if (!t) continue
      const listed = (kind === 'camera' ? lists.cameras : lists.microphones).some((d) => d.deviceId === t.getSettings().deviceId)
      if (t.readyState === 'live' && listed) continue
      try {
        await switchTo(kind, undefined)
        said.push(`Your ${kind} was disconnected; now using the default ${kind}.`)
      } catch {
        said.push(`Your ${kind} was disconnected and no other ${kind} is available.`)
      }
    }
    if (speaker && speaker !== 'default' && lists.speakers.length && !lists.speakers.some((d) => d.deviceId === speaker)) {
      speaker = ''
      await o.setSpeaker?.('')
      said.push('Your speaker was disconnected; sound now plays on the default speaker.')
    }
    if (said.length) o.tell(said.join(' '))
    // The lists read above still hold; only the choices may have moved to the defaults.
    const now = current()
    for (const role of ['camera', 'microphone', 'speaker'] as const) picker.show(role, now[role] ?? '')
  }).catch((err: unknown) => { o.tell(`Could not check your devices: ${(err as Error).message}`) })

  // An unplugged device ends its track, often before devicechange fires.
  const watched = new WeakSet<MediaStreamTrack>()
  const watchEnd = (track: MediaStreamTrack): void => {
    if (watched.has(track)) return
    watched.add(track)
    track.addEventListener('ended', () => { if (!closed && o.stream().getTracks().includes(track)) void recheck() }, { once: true })
  }
  for (const t of o.stream().getTracks()) watchEnd(t)
  const onDeviceChange = (): void => { void recheck() }
  navigator.mediaDevices?.addEventListener?.('devicechange', onDeviceChange)

  return {
    picker,
    get speaker () { return speaker },
    async refresh () { for (const t of o.stream().getTracks()) watchEnd(t); await picker.refresh(current()) },
    close () {
      closed = true
      navigator.mediaDevices?.removeEventListener?.('devicechange', onDeviceChange)
    }
  }
}
