import type { AdapterOptions, LocalProducer, MediaAdapter, RemoteConsumer } from '../media/adapter.js'
import { createAdapter } from '../media/create-adapter.js'
import type { MediaSource, ProducerInfoOut, Signaller, VisitSnapshot } from '../protocol.js'

export interface CallEvents {
  remoteAdded (c: RemoteConsumer): void
  remoteRemoved (producerId: string): void
  remotePaused (producerId: string, paused: boolean): void
  /** Media could not be (re)built; the text is for the status line. */
  problem (text: string): void
}

export interface CallOptions {
  signal: Signaller
  iceTransportPolicy: RTCIceTransportPolicy
  /** Local camera and microphone (from the device check); tracks may be missing. */
  local: MediaStream
  events: CallEvents
}

export interface Call {
  /** Builds media for this admission (or again after a resume / ICE restart). */
  start (snap: VisitSnapshot): Promise<void>
  /** Media was lost (new socket, failed transport): tear down locally and build it again. */
  rebuild (producers: ProducerInfoOut[], snap?: VisitSnapshot): Promise<void>
  onNewProducer (p: ProducerInfoOut): void
  onProducerGone (producerId: string): void
  setMic (on: boolean): Promise<void>
  setCamera (on: boolean): Promise<void>
  /**
   * A camera or microphone track from another device goes into the existing
   * producer (replaceTrack: no renegotiation, the others keep their consumer).
   */
  useTrack (track: MediaStreamTrack): Promise<void>
  startScreen (track: MediaStreamTrack): Promise<void>
  stopScreen (): Promise<void>
  readonly micOn: boolean
  readonly cameraOn: boolean
  readonly sharing: boolean
  stats (): Promise<RTCStatsReport[]>
  close (): void
}

const toRtc = (s: VisitSnapshot): RTCIceServer[] => s.iceServers.map((x) => ({ urls: x.urls, username: x.username, credential: x.credential }))

/**
 * One participant's media in a visit, engine-blind: what to send, what to
 * receive, and rebuilding both when the server dropped them (resume on a new
 * socket, ICE restart). Mute and camera-off pause the producer on the server
 * so the others see it, and survive a rebuild.
 */
export function createCall (o: CallOptions): Call {
  let adapter: MediaAdapter | undefined
  let me = ''
  let snap: VisitSnapshot | undefined
  const producers = new Map<MediaSource, LocalProducer>()

  /** Mute or unmute a local source: the track (local preview) and its producer (what others receive). */
  const setLocalSource = async (source: 'mic' | 'camera', on: boolean): Promise<void> => {
    const track = source === 'mic' ? o.local.getAudioTracks()[0] : o.local.getVideoTracks()[0]
    if (track) track.enabled = on
    const p = producers.get(source)
    if (p) await (on ? p.resume() : p.pause())
  }
  const consumers = new Map<string, RemoteConsumer>()
  let micOn = true
  let cameraOn = true
  let screenTrack: MediaStreamTrack | undefined
  let generation = 0
  let restarting = false
  // Producers announced while a build is under way: consumed once this side's transports exist
  // (after a mediaRestart everyone rebuilds at once and announces while the others are still building).
  let announcedDuringBuild: ProducerInfoOut[] | null = null

  const adapterOptions = (s: VisitSnapshot): AdapterOptions => ({
    signal: o.signal,
    iceServers: toRtc(s),
    iceTransportPolicy: o.iceTransportPolicy,
    onTransportFailed: () => { void restartIce() }
  })

  const consume = async (p: ProducerInfoOut, gen: number): Promise<void> => {
    if (p.participantId === me || consumers.has(p.producerId) || !adapter) return
    try {
      const c = await adapter.consume(p)
      if (gen !== generation) return
      consumers.set(p.producerId, c)
      o.events.remoteAdded(c)
      if (p.paused) o.events.remotePaused(p.producerId, true)
    } catch (err) {
      if (gen === generation) o.events.problem(`Could not receive a stream: ${(err as Error).message}`)
    }
  }

  const produce = async (track: MediaStreamTrack | undefined, source: MediaSource, on: boolean): Promise<void> => {
    if (!track || !adapter) return
    const p = await adapter.produce(track, source)
    producers.set(source, p)
    if (!on) await p.pause()
  }

  // performance marks (visible in the browser's devtools) time each step of a (re)build.
  const mark = (step: string): void => { performance.mark(`bedside:media:${step}`) }

  const build = async (s: VisitSnapshot, others: ProducerInfoOut[]): Promise<void> => {
    const gen = ++generation
    mark('build')
    teardown()
    snap = s
    me = s.you.participantId
    const announced: ProducerInfoOut[] = []
    announcedDuringBuild = announced
    try {
      const a = createAdapter(s.capabilities.engine, adapterOptions(s))
      adapter = a
      const capabilities = await a.load(s.capabilities)
      await o.signal.request('setCapabilities', { capabilities })
      await a.start()
      mark('transports')
      if (gen !== generation) return
      await produce(o.local.getAudioTracks()[0], 'mic', micOn)
      await produce(o.local.getVideoTracks()[0], 'camera', cameraOn)
      if (screenTrack && screenTrack.readyState === 'live') await produce(screenTrack, 'screen', true)
      mark('produced')
      if (gen !== generation) return
      announcedDuringBuild = null
      for (const p of [...others, ...announced]) await consume(p, gen)
      mark('consumed')
    } finally {
      if (announcedDuringBuild === announced) announcedDuringBuild = null
    }
  }

  const teardown = (): void => {
    adapter?.close()
    adapter = undefined
    producers.clear()
    for (const id of consumers.keys()) o.events.remoteRemoved(id)
    consumers.clear()
  }

  const restartIce = async (): Promise<void> => {
    if (restarting || !snap) return
    restarting = true
    try {
      const r = await o.signal.request('restartIce', {})
      await build(snap, r.producers as ProducerInfoOut[])
    } catch (err) {
      o.events.problem(`Reconnecting media failed: ${(err as Error).message}`)
    } finally {
      restarting = false
    }
  }

  return {
    get micOn () { return micOn },
    get cameraOn () { return cameraOn },
    get sharing () { return screenTrack !== undefined },
    async start (s) { await build(s, s.producers) },
    async rebuild (others, s) { await build(s ?? snap!, others) },
    onNewProducer (p) {
      if (announcedDuringBuild) { announcedDuringBuild.push(p); return }
      void consume(p, generation)
    },
    onProducerGone (producerId) {
      const i = announcedDuringBuild?.findIndex((x) => x.producerId === producerId) ?? -1
      if (i >= 0) announcedDuringBuild!.splice(i, 1)
      const c = consumers.get(producerId)
      if (!c) return
      consumers.delete(producerId)
      c.close()
      o.events.remoteRemoved(producerId)
    },
    async setMic (on) {
      micOn = on
      await setLocalSource('mic', on)
    },
    async setCamera (on) {
      cameraOn = on
      await setLocalSource('camera', on)
    },
    async useTrack (track) {
      const source: MediaSource = track.kind === 'video' ? 'camera' : 'mic'
      const p = producers.get(source)
      if (p) { await p.replaceTrack(track); return }
      // Joined without this device (none was found then): publish it now, in the mute state the toggle shows.
      if (adapter && !announcedDuringBuild) await produce(track, source, source === 'mic' ? micOn : cameraOn)
    },
    async startScreen (track) {
      screenTrack = track
      const p = producers.get('screen')
      // A stopped share keeps its producer paused: sharing again reuses it (no renegotiation).
      if (p) { await p.replaceTrack(track); await p.resume() } else await produce(track, 'screen', true)
    },
    async stopScreen () {
      const t = screenTrack
      screenTrack = undefined
      t?.stop()
      const p = producers.get('screen')
      if (p) { await p.pause(); await p.replaceTrack(null) }
    },
    async stats () { return adapter ? adapter.stats() : [] },
    close () { generation++; teardown(); screenTrack?.stop() }
  }
}
