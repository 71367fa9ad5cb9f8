import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

/**
 * Two Chromium pages in one plain RTCPeerConnection call, relay-only through
 * the given TURN servers, fake 640x480 camera both ways. Used by the CI
 * browser test and the soak benchmark.
 */

export interface IceServer { urls: string | string[], username?: string, credential?: string }

export interface CallSample {
  t: number
  /** Per page: connection state, frames decoded, packets lost, relay protocol of the selected local candidate. */
  a: PageSample
  b: PageSample
}
export interface PageSample { state: string, framesDecoded: number, packetsLost: number, packetsReceived: number, localType?: string, relayProtocol?: string }

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'
]

const PAGE = `<!doctype html><meta charset="utf-8"><title>relay call</title><video id="v" autoplay muted playsinline></video>
<script>
window.setup = async (iceServers) => {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' })
  window.pc = pc
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true })
  for (const track of stream.getTracks()) pc.addTrack(track, stream)
  pc.ontrack = (e) => { document.getElementById('v').srcObject = e.streams[0] }
}
const gathered = (pc) => pc.iceGatheringState === 'complete' ? Promise.resolve() : new Promise((resolve) => {
  pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve() })
  setTimeout(resolve, 10000)
})
window.offer = async () => { await pc.setLocalDescription(await pc.createOffer()); await gathered(pc); return pc.localDescription.toJSON() }
window.answer = async (offer) => { await pc.setRemoteDescription(offer); await pc.setLocalDescription(await pc.createAnswer()); await gathered(pc); return pc.localDescription.toJSON() }
window.accept = async (answer) => { await pc.setRemoteDescription(answer) }
window.sample = async () => {
  const stats = await pc.getStats()
  const out = { state: pc.connectionState, framesDecoded: 0, packetsLost: 0, packetsReceived: 0 }
  let pair
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') { out.framesDecoded += s.framesDecoded || 0 }
    if (s.type === 'inbound-rtp') { out.packetsLost += s.packetsLost || 0; out.packetsReceived += s.packetsReceived || 0 }
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId)
  })
  if (pair) {
    const local = stats.get(pair.localCandidateId)
    if (local) { out.localType = local.candidateType; out.relayProtocol = local.relayProtocol }
  }
  return out
}
</script>`

export interface RelayCall {
  sample(): Promise<CallSample>
  /** Relayed candidates in each page's SDP, to check that only relay candidates were offered. */
  candidateTypes: string[]
  close(): Promise<void>
}

async function pageServer (): Promise<{ url: string, close(): Promise<void> }> {
  const server = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }) }
}

/** iceServers: one list for both pages, or one per page (each participant gets its own credentials). */
export async function startRelayCall (iceServers: IceServer[] | ((side: 'a' | 'b') => IceServer[]), o: { executablePath?: string, extraArgs?: string[] } = {}): Promise<RelayCall> {
  const web = await pageServer()
  const dirs: string[] = []
  const browsers: Browser[] = []
  const open = async (side: 'a' | 'b'): Promise<Page> => {
    const servers = typeof iceServers === 'function' ? iceServers(side) : iceServers
    const dir = mkdtempSync(join(tmpdir(), 'bedside-turn-chromium-'))
    dirs.push(dir)
    const ctx = await chromium.launchPersistentContext(dir, {
      executablePath: o.executablePath ?? '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...(o.extraArgs ?? [])]
    })
    browsers.push(ctx as unknown as Browser)
    const page = ctx.pages()[0] ?? await ctx.newPage()
    await page.goto(web.url)
    await page.evaluate((list) => (window as any).setup(list), servers)
    return page
  }
  const close = async (): Promise<void> => {
    await Promise.all(browsers.map((b) => b.close().catch(() => {})))
    await web.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  try {
    // One browser per side, as two people would be.
    const [a, b] = await Promise.all([open('a'), open('b')])
    const offer = await a.evaluate(() => (window as any).offer())
    const answer = await b.evaluate((o) => (window as any).answer(o), offer)
    await a.evaluate((ans) => (window as any).accept(ans), answer)
    const types = [offer.sdp, answer.sdp].join('\n').match(/a=candidate:.* typ (\w+)/g)?.map((l: string) => l.split(' typ ')[1]) ?? []
    return {
      candidateTypes: types,
      async sample () {
        const [sa, sb] = await Promise.all([a.evaluate(() => (window as any).sample()), b.evaluate(() => (window as any).sample())])
        return { t: Date.now(), a: sa, b: sb }
      },
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}
