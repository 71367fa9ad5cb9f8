import type { Cleanup, Ctx } from '../context.js'
import { announce, h, show } from '../dom.js'
import { createDeviceControl } from '../media/device-control.js'
import { stopMedia } from '../media/devices.js'
import { CLOSE, type ParticipantInfo, type ProducerInfoOut, type VisitSnapshot } from '../protocol.js'
import { createCall } from '../visit/call.js'
import { createChat, nameOf } from '../visit/chat.js'
import { createQualityMeter } from '../visit/quality.js'
import { createInvite } from '../visit/invite.js'
import { createQueue } from '../visit/queue.js'
import type { VisitSession } from '../visit/session.js'
import { createTiles } from '../visit/tiles.js'
import { homePage } from './home.js'
import { waitingRoomPage } from './waiting-room.js'

export interface VisitPageOptions { session: VisitSession; local: MediaStream; snapshot: VisitSnapshot; host: boolean }

const toggle = (label: string, onText: string, offText: string, on: boolean): HTMLButtonElement => {
  const b = h('button', { type: 'button', class: 'toggle', 'aria-pressed': String(!on) }, on ? onText : offText)
  b.setAttribute('aria-label', label)
  return b
}

/** The visit: video tiles, controls, chat, connection quality; the provider also gets the queue and End visit. */
export function visitPage (ctx: Ctx, o: VisitPageOptions): Cleanup {
  const { session, local } = o
  const signal = session.signal
  let snap = o.snapshot
  const me = snap.you.participantId
  const people = new Map<string, ParticipantInfo>(snap.participants.map((p) => [p.participantId, p]))
  const tiles = createTiles(local)
  tiles.setPeople(snap.participants, me)
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' })
  // Not a live region: it changes every 2 s and would drown everything else a screen reader says.
  const quality = h('span', { class: 'quality unknown', id: 'quality' }, 'Connection: measuring…')
  let finished = false

  const call = createCall({
    signal,
    local,
    iceTransportPolicy: 'all',
    events: {
      remoteAdded: (c) => tiles.add(c),
      remoteRemoved: (id) => tiles.remove(id),
      remotePaused: (id, p) => tiles.paused(id, p),
      problem: (text) => { status.textContent = text }
    }
  })

  const chat = createChat(async (text) => { const r = await signal.request('chat', { text }); chat.add(r.message) }, nameOf(me, people))
  for (const m of snap.chat) chat.add(m)
  const queue = o.host
    ? createQueue(async (what, participantId) => { await signal.request(what, { participantId }) })
    : undefined
  if (queue && snap.queue) queue.render(snap.queue)

  const mic = toggle('Microphone', 'Mute', 'Unmute', call.micOn)
  const cam = toggle('Camera', 'Camera off', 'Camera on', call.cameraOn)
  const screen = h('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false' }, 'Share screen')
  const leave = h('button', { type: 'button', class: 'danger' }, o.host ? 'End visit' : 'Leave')
  if (!local.getAudioTracks().length) mic.disabled = true
  if (!local.getVideoTracks().length) cam.disabled = true
  if (!navigator.mediaDevices?.getDisplayMedia) screen.hidden = true

  // Switching camera, microphone or speaker mid-call: the new track replaces the old in its producer.
  const devices = createDeviceControl({
    stream: () => local,
    useTrack: (track) => call.useTrack(track),
    swapped: (kind) => {
      if (kind === 'camera') tiles.refreshSelf()
      mic.disabled = !local.getAudioTracks().length
      cam.disabled = !local.getVideoTracks().length
    },
    setSpeaker: (id) => tiles.setSpeaker(id),
    tell: (text) => { status.textContent = text }
  })
  void tiles.setSpeaker(devices.speaker).catch(() => { status.textContent = 'Your chosen speaker is not available; sound plays on the default speaker.' })
  const devicePanel = h('details', { class: 'devices' }, h('summary', {}, 'Camera, microphone and speaker'), devices.picker.el)
  // Labels and ids are readable now (access was granted before the visit); fill the lists when first opened.
  devicePanel.addEventListener('toggle', () => { if (devicePanel.open) void devices.refresh() })

  // One behaviour for both toggles: the label names the next action, aria-pressed says "off".
  const bindToggle = (button: HTMLButtonElement, isOn: () => boolean, set: (on: boolean) => Promise<void>,
    label: { on: string; off: string }, spoken: { on: string; off: string }): void => {
    button.addEventListener('click', () => {
      const on = !isOn()
      void set(on)
      button.textContent = on ? label.on : label.off
      button.setAttribute('aria-pressed', String(!on))
      tiles.selfState(call.micOn, call.cameraOn)
      announce(on ? spoken.on : spoken.off)
    })
  }
  bindToggle(mic, () => call.micOn, (on) => call.setMic(on), { on: 'Mute', off: 'Unmute' }, { on: 'Microphone on', off: 'Microphone muted' })
  bindToggle(cam, () => call.cameraOn, (on) => call.setCamera(on), { on: 'Camera off', off: 'Camera on' }, { on: 'Camera on', off: 'Camera off' })
  const screenLabel = (): void => {
    screen.textContent = call.sharing ? 'Stop sharing' : 'Share screen'
    screen.setAttribute('aria-pressed', String(call.sharing))
  }
  screen.addEventListener('click', () => {
    if (call.sharing) { void call.stopScreen().then(screenLabel); return }
    navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(async (s) => {
      const track = s.getVideoTracks()[0]
      if (!track) return
      track.addEventListener('ended', () => { void call.stopScreen().then(screenLabel) })
      await call.startScreen(track)
      screenLabel()
      announce('You are sharing your screen')
    }).catch(() => { status.textContent = 'Screen sharing was not started.' })
  })
  leave.addEventListener('click', () => {
    if (o.host) {
      // Two steps instead of a modal dialog: the second press within 5 s ends the visit for everyone.
      if (leave.dataset.armed !== 'true') {
        leave.dataset.armed = 'true'
        leave.textContent = 'Confirm: end for everyone'
        announce('Press again to end the visit for everyone')
        window.setTimeout(() => { leave.dataset.armed = ''; leave.textContent = 'End visit' }, 5000)
        return
      }
      void signal.request('endVisit', {}).catch((err: unknown) => { status.textContent = `Could not end the visit: ${(err as Error).message}` })
    } else {
      void signal.request('leave', {}).catch(() => undefined).finally(() => end('You left the visit.'))
    }
  })

  show(ctx.root, h('section', { class: `visit${o.host ? ' host' : ''}`, 'aria-labelledby': 'visit-title' },
    h('div', { class: 'visit-head' }, h('h1', { id: 'visit-title' }, 'Video visit'), quality),
    status,
    h('div', { class: 'visit-body' },
      h('div', { class: 'stage' }, tiles.el,
        h('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Call controls' }, mic, cam, screen, leave), devicePanel),
      h('aside', { class: 'side' }, queue?.el ?? null, o.host ? createInvite(ctx.api, snap.appointmentId) : null, chat.el))))

  const end = (text: string): void => {
    if (finished) return
    finished = true
    devices.close()
    call.close()
    stopMedia(local)
    session.close()
    show(ctx.root, h('section', { class: 'card narrow' }, h('h1', {}, 'Visit ended'), h('p', { role: 'status' }, text),
      h('button', { type: 'button', class: 'primary', onclick: () => ctx.go(homePage) }, ctx.user ? 'Back to my appointments' : 'Done')))
    announce(text)
  }

  session.setHandler({
    event (n) {
      switch (n.event) {
        case 'participantJoined': people.set(n.data.participant.participantId, n.data.participant); tiles.person(n.data.participant); announce('Someone joined the visit'); break
        case 'participantLeft': people.delete(n.data.participantId); tiles.leftOrAway(n.data.participantId, 'left'); announce('Someone left the visit'); break
        case 'participantDisconnected': tiles.leftOrAway(n.data.participantId, 'reconnecting…'); break
        case 'participantReconnected': tiles.leftOrAway(n.data.participantId, ''); break
        case 'newProducer': call.onNewProducer(n.data.producer as ProducerInfoOut); break
        case 'producerClosed': call.onProducerGone(n.data.producerId); break
        case 'consumerClosed': call.onProducerGone(n.data.producerId); break
        case 'producerPaused': tiles.paused(n.data.producerId, true); break
        case 'producerResumed': tiles.paused(n.data.producerId, false); break
        case 'activeSpeaker': tiles.speaker(n.data.participantId); break
        case 'mediaRestart':
          // The server lost this visit's media (its media node went away) and opened it again: same
          // admission and socket, new transports; the others' new producers follow as newProducer.
          snap = { ...snap, capabilities: n.data.capabilities, producers: [] }
          status.textContent = 'Reconnecting video…'
          void call.rebuild([], snap).then(() => { status.textContent = '' })
            .catch((err: unknown) => { status.textContent = `Media did not come back: ${(err as Error).message}` })
          break
        case 'chat': chat.add(n.data.message); break
        case 'queue': queue?.render(n.data.entries); break
        case 'visitEnded': end('The provider ended the visit. Thank you.'); break
        case 'waiting':
          finished = true
          call.close()
          ctx.go((c) => waitingRoomPage(c, session, local, true))
          break
        default: break
      }
    },
    resumed (r) {
      status.textContent = ''
      if (r.state === 'waiting') {
        finished = true
        call.close()
        ctx.go((c) => waitingRoomPage(c, session, local, true))
        return
      }
      snap = r.visit
      for (const p of snap.participants) people.set(p.participantId, p)
      tiles.setPeople(snap.participants, me)
      for (const m of snap.chat) chat.add(m)
      if (queue && snap.queue) queue.render(snap.queue)
      // The server dropped our media with the old socket: build it again (an ICE restart).
      void call.rebuild(snap.producers, snap).catch((err: unknown) => { status.textContent = `Media did not come back: ${(err as Error).message}` })
    },
    connection (state, code) {
      if (state === 'reconnecting') status.textContent = 'Connection lost — reconnecting…'
      else if (state === 'connected') status.textContent = ''
      else if (state === 'closed') {
        if (code === CLOSE.visitEnded) end('The visit has ended.')
        else if (code === CLOSE.replaced) end('You joined this visit from another window.')
        else if (code !== CLOSE.normal) end('You were disconnected from the visit.')
      }
    }
  })

  const meter = createQualityMeter()
  let measuring = false
  const timer = window.setInterval(() => {
    // getStats can be slow on a busy device: never let two samples overlap (a near-zero interval reads as "nothing arrived").
    if (measuring) return
    measuring = true
    void call.stats().finally(() => { measuring = false }).then((reports) => {
      const q = meter(reports)
      quality.className = `quality ${q.quality}`
      const detail = [q.rttMs !== undefined ? `${q.rttMs} ms` : '', q.lossPct !== undefined ? `${q.lossPct.toFixed(1)}% loss` : ''].filter(Boolean).join(', ')
      quality.textContent = q.quality === 'unknown' ? 'Connection: measuring…' : `Connection: ${q.quality}${detail ? ` (${detail})` : ''}`
    })
  }, 2000)

  void devices.refresh()
  void call.start(snap).then(() => { tiles.selfState(call.micOn, call.cameraOn) })
    .catch((err: unknown) => { status.textContent = `Could not start your camera and microphone in the visit: ${(err as Error).message}` })

  return () => {
    window.clearInterval(timer)
    devices.close()
    if (!finished) { call.close(); stopMedia(local); session.close() }
  }
}
