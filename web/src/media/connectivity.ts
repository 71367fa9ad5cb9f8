import type { DeviceCheck, IceServerOut } from '../protocol.js'

export type Path = 'direct' | 'turn-udp' | 'turn-tcp' | 'turn-tls'
export interface PathResult { path: Path; ok: boolean; rttMs?: number }
export interface ConnectivityReport { best: DeviceCheck['connectivity']; rttMs?: number; paths: PathResult[] }

const pathOf = (url: string): Path | null => {
  if (url.startsWith('turns:')) return 'turn-tls'
  if (url.startsWith('turn:')) return /transport=tcp/i.test(url) ? 'turn-tcp' : 'turn-udp'
  return null
}

/**
 * A call between two peers in this page, relay-only through one TURN URL: when it connects, that path to Bedside's server works end to
 * end (allocation, permissions, data both ways), and the candidate pair's
 * round-trip time is the path's latency.
 */
async function relayLoop (server: IceServerOut, url: string, timeoutMs: number): Promise<{ ok: boolean; rttMs?: number }> {
  // Both ends relay-only: the TURN server refuses private and loopback peers,
  // but a peer at its own relay address is always allowed.
  const config: RTCConfiguration = { iceServers: [{ urls: url, username: server.username, credential: server.credential }], iceTransportPolicy: 'relay' }
  const a = new RTCPeerConnection(config)
  const b = new RTCPeerConnection(config)
  try {
    a.onicecandidate = (e) => { if (e.candidate) void b.addIceCandidate(e.candidate).catch(() => undefined) }
    b.onicecandidate = (e) => { if (e.candidate) void a.addIceCandidate(e.candidate).catch(() => undefined) }
    const dc = a.createDataChannel('check')
    const open = new Promise<boolean>((resolve) => {
      dc.onopen = () => resolve(true)
      window.setTimeout(() => resolve(false), timeoutMs)
    })
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription!)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription!)
    if (!(await open)) return { ok: false }
    let rttMs: number | undefined
    ;(await a.getStats()).forEach((s: { type: string; state?: string; nominated?: boolean; currentRoundTripTime?: number }) => {
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated && typeof s.currentRoundTripTime === 'number') {
        rttMs = Math.round(s.currentRoundTripTime * 1000)
      }
    })
    return { ok: true, rttMs }
  } finally {
    a.close(); b.close()
  }
}

/**
 * UDP straight to Bedside's server: a STUN binding to the TURN port (same
 * host as the media server). Chromium hides a reflexive address equal to a
 * host address, so success is "gathering finished without a STUN error".
 */
async function directUdp (host: string, timeoutMs: number): Promise<boolean> {
  const pc = new RTCPeerConnection({ iceServers: [{ urls: `stun:${host}` }] })
  try {
    let failed = false
    let srflx = false
    let any = false
    pc.addEventListener('icecandidateerror', () => { failed = true })
    pc.onicecandidate = (e) => { if (e.candidate) any = true; if (e.candidate?.type === 'srflx') srflx = true }
    pc.createDataChannel('probe')
    await pc.setLocalDescription(await pc.createOffer())
    const done = await new Promise<boolean>((resolve) => {
      if (pc.iceGatheringState === 'complete') { resolve(true); return }
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(true) })
      window.setTimeout(() => resolve(false), timeoutMs)
    })
    // No candidate at all means the browser sent nothing (e.g. a relay-only policy): not a success.
    return srflx || (done && any && !failed)
  } finally {
    pc.close()
  }
}

/** Tests every path the ICE servers offer, in parallel; `best` is what a visit would most likely use. */
export async function testConnectivity (servers: IceServerOut[], timeoutMs = 8000): Promise<ConnectivityReport> {
  const jobs: Promise<PathResult>[] = []
  const seen = new Set<Path>()
  for (const s of servers) {
    for (const url of s.urls) {
      const path = pathOf(url)
      if (!path || seen.has(path)) continue
      seen.add(path)
      jobs.push(relayLoop(s, url, timeoutMs).then((r) => ({ path, ...r })))
      if (path === 'turn-udp') {
        const host = url.replace(/^turn:/, '').replace(/\?.*$/, '')
        jobs.push(directUdp(host, timeoutMs).then((ok) => ({ path: 'direct' as const, ok })))
      }
    }
  }
  if (jobs.length === 0) return { best: 'untested', paths: [] }
  const paths = await Promise.all(jobs)
  const order: Path[] = ['direct', 'turn-udp', 'turn-tcp', 'turn-tls']
  const best = order.map((p) => paths.find((r) => r.path === p && r.ok)).find((r) => r !== undefined)
  const rttMs = paths.filter((r) => r.ok && r.rttMs !== undefined).map((r) => r.rttMs!).sort((x, y) => x - y)[0]
  return { best: best?.path ?? 'failed', rttMs, paths: paths.sort((x, y) => order.indexOf(x.path) - order.indexOf(y.path)) }
}
