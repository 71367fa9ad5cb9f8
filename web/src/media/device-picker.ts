import { h } from '../dom.js'
import type { DeviceRole } from './device-prefs.js'
import { listDevices, type DeviceLists, type DeviceOption } from './device-list.js'

export interface DevicePicker {
  readonly el: HTMLElement
  /** Reads the device lists again (after access is granted, or a device came or went) and shows `current` as chosen. */
  refresh (current: Partial<Record<DeviceRole, string>>): Promise<DeviceLists>
  /** Shows a device as chosen without calling onPick (a fallback chosen by the page). */
  show (role: DeviceRole, deviceId: string): void
}

const TEXT: Record<DeviceRole, { label: string; none: string }> = {
  // Not just "Camera": in a visit the camera-off toggle already carries that name.
  camera: { label: 'Camera to use', none: 'No camera found' },
  microphone: { label: 'Microphone to use', none: 'No microphone found' },
  speaker: { label: 'Speaker to use', none: 'Default speaker' }
}
const LIST: Record<DeviceRole, keyof DeviceLists> = { camera: 'cameras', microphone: 'microphones', speaker: 'speakers' }

let seq = 0

/**
 * Three labelled native selects (camera, microphone, speaker): keyboard and
 * screen-reader support come with the element. The speaker field is hidden
 * where the browser cannot route audio to a chosen output.
 */
export function createDevicePicker (onPick: (role: DeviceRole, deviceId: string) => void): DevicePicker {
  const id = `dev-${++seq}`
  const selects = {} as Record<DeviceRole, HTMLSelectElement>
  const fields = {} as Record<DeviceRole, HTMLElement>
  for (const role of ['camera', 'microphone', 'speaker'] as const) {
    const sel = h('select', { id: `${id}-${role}`, name: role, disabled: true })
    sel.addEventListener('change', () => { if (sel.value) onPick(role, sel.value) })
    selects[role] = sel
    fields[role] = h('div', { class: 'field' }, h('label', { for: sel.id }, TEXT[role].label), sel)
  }
  fields.speaker.hidden = true
  const el = h('div', { class: 'device-picker' }, fields.camera, fields.microphone, fields.speaker)

  const fill = (role: DeviceRole, list: DeviceOption[], current: string | undefined): void => {
    const sel = selects[role]
    if (!list.length) {
      sel.replaceChildren(h('option', { value: '' }, TEXT[role].none))
      sel.disabled = true
      return
    }
    sel.replaceChildren(...list.map((d) => h('option', { value: d.deviceId }, d.label)))
    sel.disabled = false
    // An unknown current id (e.g. a track on a device not listed yet) leaves the browser's first entry shown.
    if (current && list.some((d) => d.deviceId === current)) sel.value = current
  }

  return {
    el,
    async refresh (current) {
      const lists = await listDevices()
      for (const role of ['camera', 'microphone', 'speaker'] as const) fill(role, lists[LIST[role]], current[role])
      fields.speaker.hidden = lists.speakers.length === 0
      return lists
    },
    show (role, deviceId) {
      if ([...selects[role].options].some((o) => o.value === deviceId)) selects[role].value = deviceId
    }
  }
}
