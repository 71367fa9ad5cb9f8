/**
 * The user's chosen camera, microphone and speaker, remembered on this
 * browser. Only device ids are stored: they are per-origin random strings
 * (Chromium resets them with the site's data) and say nothing about the user.
 * Nothing else of Bedside's ever goes into storage (tokens live in memory).
 */
export interface DevicePrefs { camera?: string; microphone?: string; speaker?: string }
export type DeviceRole = keyof DevicePrefs

const KEY = 'bedside.devices'
const ROLES: DeviceRole[] = ['camera', 'microphone', 'speaker']
// Chromium's ids are 64 hex characters or 'default'/'communications'; anything odd is dropped, not trusted.
const ID = /^[A-Za-z0-9_+/=.-]{1,128}$/

export function loadPrefs (): DevicePrefs {
  let raw: unknown
  try { raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') } catch { return {} }
  const out: DevicePrefs = {}
  if (typeof raw !== 'object' || raw === null) return out
  for (const r of ROLES) {
    const v = (raw as Record<string, unknown>)[r]
    if (typeof v === 'string' && ID.test(v)) out[r] = v
  }
  return out
}

/** Remembers one choice; '' (the browser's default) forgets it. Written only when the user picks, never on its own. */
export function savePref (role: DeviceRole, deviceId: string): void {
  const prefs = loadPrefs()
  if (deviceId && ID.test(deviceId)) prefs[role] = deviceId
  else delete prefs[role]
  try {
    if (Object.keys(prefs).length) localStorage.setItem(KEY, JSON.stringify(prefs))
    else localStorage.removeItem(KEY)
  } catch {
    // Storage can be off (private mode, policy): the choice then lasts for this page only, which is still usable.
  }
}
