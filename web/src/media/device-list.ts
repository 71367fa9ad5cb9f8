export interface DeviceOption { deviceId: string; label: string }
export interface DeviceLists { cameras: DeviceOption[]; microphones: DeviceOption[]; speakers: DeviceOption[] }

/** Whether audio output can be chosen (setSinkId: Chromium, Edge, Firefox 116+; not Safari). */
export const canChooseSpeaker = (): boolean => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype

/**
 * The devices the browser offers, by kind. Before the user grants camera or
 * microphone access, browsers hide labels (and often ids): those entries get
 * numbered names, and the lists are read again once access is granted.
 */
export async function listDevices (): Promise<DeviceLists> {
  const out: DeviceLists = { cameras: [], microphones: [], speakers: [] }
  if (!navigator.mediaDevices?.enumerateDevices) return out
  const all = await navigator.mediaDevices.enumerateDevices()
  const into: Record<string, { list: DeviceOption[]; name: string }> = {
    videoinput: { list: out.cameras, name: 'Camera' },
    audioinput: { list: out.microphones, name: 'Microphone' },
    audiooutput: { list: out.speakers, name: 'Speaker' }
  }
  for (const d of all) {
    const slot = into[d.kind]
    // No id yet (no permission): such an entry cannot be chosen.
    if (!slot || !d.deviceId) continue
    slot.list.push({ deviceId: d.deviceId, label: d.label || `${slot.name} ${slot.list.length + 1}` })
  }
  if (!canChooseSpeaker()) out.speakers = []
  return out
}
