import type { Ticket } from '../api.js'
import type { Cleanup, Ctx } from '../context.js'
import { announce, h, show } from '../dom.js'
import { testConnectivity, type ConnectivityReport, type Path } from '../media/connectivity.js'
import { createDeviceControl } from '../media/device-control.js'
import { canChooseSpeaker } from '../media/device-list.js'
import { loadPrefs } from '../media/device-prefs.js'
import { openLocalMedia, stopMedia, watchLevel, type LocalMedia } from '../media/devices.js'
import { playTestSound } from '../media/test-sound.js'
import type { DeviceCheck } from '../protocol.js'
import { joinVisit, type VisitSession } from '../visit/session.js'
import { homePage } from './home.js'
import { setHeader } from './chrome.js'
import { waitingRoomPage } from './waiting-room.js'

const PATH_LABEL: Record<Path, string> = {
  direct: 'Direct (UDP)', 'turn-udp': 'Through Bedside relay (TURN UDP)', 'turn-tcp': 'Through Bedside relay (TURN TCP)', 'turn-tls': 'Through Bedside relay (TURN TLS)'
}
const STATUS_TEXT: Record<DeviceCheck['camera'], string> = {
  ok: 'Working', blocked: 'Blocked — allow access in your browser settings', missing: 'Not found', error: 'Not working', untested: 'Not tested'
}

/**
 * Camera, microphone and speaker choice (remembered on this browser), camera
 * preview, a level meter, a test sound, and a connectivity test
 * through Bedside's TURN. With an appointment it first takes the patient's
 * place in the waiting room (that is where the TURN credentials come from)
 * and reports the result so the provider sees it in the queue.
 */
/** What to join after the check: an appointment (signed in) or a guest's ticket for one. */
export interface JoinTarget { appointmentId: string; guestTicket?: Ticket }

export function deviceCheckPage (ctx: Ctx, appt: JoinTarget | null): Cleanup {
  setHeader(ctx)
  let media: LocalMedia | undefined
  let session: VisitSession | undefined
  let handedOver = false
  let stopLevel: (() => void) | undefined
  let closed = false

  const video = h('video', { class: 'preview', autoplay: true, muted: true, playsinline: true, 'aria-label': 'Your camera preview' })
  const meter = h('div', { class: 'meter', role: 'meter', 'aria-label': 'Microphone level', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 },
    h('div', { class: 'meter-fill' }))
  const camStatus = h('dd', { 'data-check': 'camera' }, 'Checking…')
  const micStatus = h('dd', { 'data-check': 'microphone' }, 'Checking…')
  const netList = h('ul', { class: 'paths', 'aria-label': 'Connection paths' })
  const summary = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Checking your camera and microphone…')
  const again = h('button', { type: 'button', onclick: () => { void run() } }, 'Test again')
  const next = appt
    ? h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => goWaiting() }, 'Go to the waiting room')
    : h('button', { type: 'button', class: 'primary', onclick: () => ctx.go(homePage) }, 'Done')
  const back = appt ? h('button', { type: 'button', onclick: () => ctx.go(homePage) }, 'Cancel') : null

  const deviceNote = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' })
  const devices = createDeviceControl({
    stream: () => media?.stream ?? new MediaStream(),
    useTrack: async () => undefined,
    swapped: (kind) => {
      if (!media) return
      if (kind === 'camera') { video.srcObject = null; video.srcObject = media.stream; media.camera = 'ok'; camStatus.textContent = STATUS_TEXT.ok }
      else { media.microphone = 'ok'; micStatus.textContent = STATUS_TEXT.ok; meterOn() }
    },
    // No setSpeaker: the test sound reads the choice when played; nothing else plays here.
    tell: (text) => { deviceNote.textContent = text }
  })
  const soundButton = h('button', { type: 'button', onclick: () => {
    soundButton.disabled = true
    playTestSound(devices.speaker || undefined)
      .then(() => { deviceNote.textContent = 'Did you hear two beeps? If not, choose another speaker or turn the volume up.' })
      .catch((err: unknown) => { deviceNote.textContent = `Could not play the test sound: ${(err as Error).message}` })
      .finally(() => { soundButton.disabled = false })
  } }, 'Play test sound')

  show(ctx.root, h('section', { class: 'card check' },
    h('h1', {}, 'Device check'),
    h('div', { class: 'check-grid' },
      h('div', { class: 'preview-box' }, video, meter),
      h('div', {},
        h('h2', {}, 'Your devices'),
        devices.picker.el,
        typeof AudioContext === 'undefined' ? null : soundButton,
        canChooseSpeaker() ? null : h('p', { class: 'muted' }, 'This browser plays sound on its default speaker; choose the speaker in your computer\'s settings.'),
        deviceNote,
        h('dl', { class: 'results' }, h('dt', {}, 'Camera'), camStatus, h('dt', {}, 'Microphone'), micStatus),
        h('h2', {}, 'Connection'), netList, summary)),
    h('div', { class: 'actions' }, back, again, next)))

  const showNet = (r: ConnectivityReport | null, note?: string): void => {
    if (!r) { netList.replaceChildren(h('li', {}, note ?? 'Tested when you join a visit.')); return }
    netList.replaceChildren(...(r.paths.length ? r.paths : []).map((p) =>
      h('li', { 'data-path': p.path, class: p.ok ? 'ok' : 'bad' }, `${PATH_LABEL[p.path]}: ${p.ok ? 'works' : 'blocked'}${p.rttMs !== undefined ? ` (${p.rttMs} ms)` : ''}`)))
    if (r.paths.length === 0) netList.replaceChildren(h('li', {}, 'No relay is configured on this server.'))
  }

  const run = async (): Promise<void> => {
    again.disabled = true
    stopLevel?.()
    stopMedia(media?.stream)
    media = await openLocalMedia(loadPrefs())
    if (closed) { stopMedia(media.stream); return }
    video.srcObject = media.stream
    camStatus.textContent = STATUS_TEXT[media.camera]
    micStatus.textContent = STATUS_TEXT[media.microphone]
    deviceNote.textContent = media.fellBack.length ? `Your chosen ${media.fellBack.join(' and ')} ${media.fellBack.length > 1 ? 'were' : 'was'} not found; using the default.` : ''
    meterOn()
    // Access was just granted (or refused): the lists now carry names and ids.
    await devices.refresh()
    let check: DeviceCheck = { camera: media.camera, microphone: media.microphone, connectivity: 'untested' }
    if (appt) {
      summary.textContent = 'Joining the waiting room and testing your connection…'
      showNet(null, 'Testing…')
      try {
        session ??= await joinVisit(ctx.api, appt.appointmentId, undefined, appt.guestTicket)
        if (closed) return
        const servers = session.joined.state === 'waiting' ? session.joined.deviceCheckIceServers : []
        const report = await testConnectivity(servers)
        if (closed) return
        showNet(report)
        check = { ...check, connectivity: report.best, ...(report.rttMs !== undefined ? { rttMs: report.rttMs } : {}) }
        await session.signal.request('deviceCheck', check)
        // A provider joins admitted at once; so does a patient who was admitted on another tab.
        next.removeAttribute('disabled')
      } catch (err) {
        summary.textContent = `Could not join the waiting room: ${(err as Error).message}`
        again.disabled = false
        return
      }
    } else {
      showNet(null)
    }
    const good = check.camera === 'ok' && check.microphone === 'ok' && check.connectivity !== 'failed'
    summary.textContent = good ? 'Everything works.' : 'Some checks failed; you can still join, or fix them and test again.'
    announce(summary.textContent)
    again.disabled = false
  }

  /** The level meter follows the stream's current microphone. */
  function meterOn (): void {
    stopLevel?.()
    stopLevel = undefined
    const mic = media?.stream.getAudioTracks()[0]
    if (!mic) return
    const fill = meter.firstElementChild as HTMLElement
    stopLevel = watchLevel(mic, (l) => { fill.style.width = `${Math.round(l * 100)}%`; meter.setAttribute('aria-valuenow', String(Math.round(l * 100))) })
  }

  const goWaiting = (): void => {
    if (!session || !media) return
    handedOver = true
    const s = session
    const m = media
    ctx.go((c) => waitingRoomPage(c, s, m.stream))
  }

  void run()
  return () => {
    closed = true
    devices.close()
    stopLevel?.()
    if (!handedOver) { stopMedia(media?.stream); if (session) { void session.signal.request('leave', {}).catch(() => undefined).finally(() => session?.close()) } }
  }
}
