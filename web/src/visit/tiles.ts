import { h } from '../dom.js'
import type { RemoteConsumer } from '../media/adapter.js'
import type { ParticipantInfo } from '../protocol.js'

const roleLabel = (p: ParticipantInfo | undefined): string => {
  if (!p) return 'Participant'
  if (p.role === 'guest') return p.label ?? 'Guest'
  return p.role === 'provider' ? 'Provider' : p.role === 'staff' ? 'Care team' : 'Patient'
}

interface Tile { el: HTMLElement; video: HTMLVideoElement; label: HTMLElement; state: HTMLElement }

/**
 * The video grid: one tile per participant (camera plus its audio element),
 * one per screen share, and the local preview. Remote audio plays through
 * <audio> elements: Chromium decodes (and counts samples of) only played tracks.
 */
export function createTiles (localStream: MediaStream) {
  const grid = h('div', { class: 'tiles', role: 'region', 'aria-label': 'Video' })
  const tiles = new Map<string, Tile>()
  const byProducer = new Map<string, { key: string; media: HTMLMediaElement; kind: string; source: string }>()
  const people = new Map<string, ParticipantInfo>()
  // The chosen speaker ('' = the browser's default), applied to every remote <audio> as it is made.
  let sinkId = ''
  const route = async (el: HTMLMediaElement): Promise<void> => {
    if ('setSinkId' in el && el.sinkId !== sinkId) await el.setSinkId(sinkId)
  }

  const tile = (key: string, text: string, extra = ''): Tile => {
    let t = tiles.get(key)
    if (t) return t
    const video = h('video', { autoplay: true, playsinline: true, muted: true })
    const label = h('span', { class: 'tile-label' }, text)
    const state = h('span', { class: 'tile-state', 'aria-live': 'polite' })
    const el = h('figure', { class: `tile ${extra}`, 'data-tile': key }, video, h('figcaption', {}, label, state))
    t = { el, video, label, state }
    tiles.set(key, t)
    grid.append(el)
    return t
  }

  const self = tile('self', 'You', 'self')
  self.video.srcObject = localStream

  const setCount = (): void => { grid.dataset.count = String(Math.min(tiles.size, 6)) }
  setCount()

  return {
    el: grid,
    setPeople (list: ParticipantInfo[], me: string) {
      people.clear()
      for (const p of list) if (p.participantId !== me) people.set(p.participantId, p)
      for (const [key, t] of tiles) {
        const p = people.get(key)
        if (p) t.label.textContent = roleLabel(p)
      }
    },
    person (p: ParticipantInfo) { people.set(p.participantId, p); const t = tiles.get(p.participantId); if (t) t.label.textContent = roleLabel(p) },
    add (c: RemoteConsumer) {
      const who = roleLabel(people.get(c.participantId))
      const key = c.source === 'screen' ? `screen-${c.producerId}` : c.participantId
      const t = tile(key, c.source === 'screen' ? `${who}'s screen` : who, c.source === 'screen' ? 'screen' : '')
      let media: HTMLMediaElement
      if (c.kind === 'audio') {
        media = h('audio', { autoplay: true })
        t.el.append(media)
        void route(media).catch(() => undefined)
      } else {
        media = t.video
      }
      media.srcObject = new MediaStream([c.track])
      void media.play().catch(() => undefined)
      byProducer.set(c.producerId, { key, media, kind: c.kind, source: c.source })
      setCount()
    },
    remove (producerId: string) {
      const m = byProducer.get(producerId)
      if (!m) return
      byProducer.delete(producerId)
      m.media.srcObject = null
      if (m.kind === 'audio') m.media.remove()
      const still = [...byProducer.values()].some((x) => x.key === m.key)
      if (!still) { tiles.get(m.key)?.el.remove(); tiles.delete(m.key) }
      setCount()
    },
    paused (producerId: string, paused: boolean) {
      const m = byProducer.get(producerId)
      const t = m && tiles.get(m.key)
      if (!m || !t) return
      if (m.source === 'screen') { t.el.hidden = paused; return }
      t.el.classList.toggle(m.kind === 'audio' ? 'muted' : 'camera-off', paused)
      const muted = t.el.classList.contains('muted')
      const off = t.el.classList.contains('camera-off')
      t.state.textContent = [muted ? 'muted' : '', off ? 'camera off' : ''].filter(Boolean).join(', ')
    },
    leftOrAway (participantId: string, text: string) {
      const t = tiles.get(participantId)
      if (t) t.state.textContent = text
    },
    speaker (participantId: string | null) {
      for (const [key, t] of tiles) t.el.classList.toggle('speaking', key === participantId)
    },
    /** Remote sound to this output device; rejects when the device is not usable (the caller tells the user). */
    async setSpeaker (deviceId: string) {
      const before = sinkId
      sinkId = deviceId
      const audio = [...byProducer.values()].filter((m) => m.kind === 'audio').map((m) => m.media)
      try {
        await Promise.all(audio.map(route))
      } catch (err) {
        // Not usable: everything goes back to the speaker that worked, and sound made later goes there too.
        sinkId = before
        await Promise.all(audio.map(route)).catch(() => undefined)
        throw err
      }
    },
    /** The local stream's tracks changed (another camera): show the new one. */
    refreshSelf () {
      self.video.srcObject = null
      self.video.srcObject = localStream
    },
    selfState (micOn: boolean, cameraOn: boolean) {
      self.el.classList.toggle('camera-off', !cameraOn)
      self.state.textContent = [micOn ? '' : 'muted', cameraOn ? '' : 'camera off'].filter(Boolean).join(', ')
    }
  }
}
export type Tiles = ReturnType<typeof createTiles>
