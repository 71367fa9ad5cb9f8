import { link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { currentCode, newTotpSecret } from '../../server/auth/totp.js'
import { createPasswordHasher } from '../../server/auth/password-hasher.js'
import { mfaSecretContext } from '../../server/routes/auth/sign-in.js'
import type { Role } from '../../core/roles.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'
import { createTestUser, type TestUser } from '../helpers/users.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
  // getDisplayMedia picks the whole (virtual) screen without a picker.
  '--auto-select-desktop-capture-source=Entire screen'
]
export const TURN_SECRET = 'web-test-turn-secret-0123456789abcdef'
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
  })
}

/**
 * The real API listening on loopback, serving the web client, with the
 * werift engine. PUBLIC_URL must be the address the browser uses: the
 * WebSocket route checks Origin against it.
 */
export async function webApp (t: Test, settings: Record<string, string> = {}): Promise<TestApp & { base: string }> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const built = await buildTestApp(t, {
    PUBLIC_URL: base, MEDIA_ENGINE: 'werift', MEDIA_LISTEN_IP: '127.0.0.1', LOG_LEVEL: 'warn',
    TURN_MODE: 'external', TURN_SECRET, TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
    ...settings
  })
  await built.app.listen({ host: '127.0.0.1', port })
  return { ...built, base }
}

export interface WebUser { user: TestUser; email: string; password: string; code (): string }

/** A user who can sign in through the real page: a password, and a TOTP secret for roles that need MFA. */
export async function pageUser (app: FastifyInstance, role: Role): Promise<WebUser> {
  const user = await createTestUser(app, role)
  const password = `correct horse ${role} battery staple`
  const hasher = await createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 })
  await app.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, await hasher.hash(password)])
  const secret = newTotpSecret()
  if (role !== 'patient') {
    await app.db.query('UPDATE users SET mfa_secret_sealed = $2 WHERE id = $1', [user.id, app.phi.seal(secret, mfaSecretContext(user.id))])
  }
  return { user, email: user.email, password, code: () => currentCode(secret) }
}

export interface Browser { page: Page; context: BrowserContext; problems: string[] }

/**
 * One Chromium per participant with its own fresh profile. Every
 * RTCPeerConnection the page makes is recorded (for getStats) and CSP
 * violations and page errors are collected.
 */
export async function openBrowser (t: Test, o: { viewport?: { width: number; height: number }; relay?: boolean; cameras?: number } = {}): Promise<Browser> {
  const dir = await mkdtemp(join(tmpdir(), 'bds-web-'))
  // Chromium's fake capture offers one camera unless told how many (device-count also adds fake_device_1...).
  const args = o.cameras ? CHROMIUM_FLAGS.map((f) => f === '--use-fake-device-for-media-stream' ? `${f}=device-count=${o.cameras}` : f) : CHROMIUM_FLAGS
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, args, headless: true, viewport: o.viewport ?? { width: 1280, height: 800 }
  })
  t.teardown(async () => { await context.close(); await rm(dir, { recursive: true, force: true }) })
  await context.addInitScript(({ relay }) => {
    const w = window as unknown as { __pcs: RTCPeerConnection[]; __ws: WebSocket[]; __csp: string[] }
    w.__pcs = []
    w.__ws = []
    // tsx names functions with __name(); page.evaluate bodies from tests need it defined.
    ;(w as unknown as { __name: (f: unknown) => unknown }).__name = (f) => f
    w.__csp = []
    const OrigWs = window.WebSocket
    // Test-only: record sockets so a test can drop one as a network fault would.
    window.WebSocket = class extends OrigWs {
      constructor (url: string | URL, protocols?: string | string[]) { super(url, protocols); w.__ws.push(this) }
    } as typeof WebSocket
    const Orig = window.RTCPeerConnection
    // Test-only: record peers for getStats; with relay, force every peer through TURN as a strict firewall would.
    window.RTCPeerConnection = class extends Orig {
      constructor (config?: RTCConfiguration) {
        super(relay ? { ...config, iceTransportPolicy: 'relay' } : config)
        w.__pcs.push(this)
      }
    } as typeof RTCPeerConnection
    document.addEventListener('securitypolicyviolation', (e) => { w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`) })
  }, { relay: o.relay ?? false })
  const page = context.pages()[0] ?? await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`) })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  return { page, context, problems }
}

export async function signIn (page: Page, base: string, u: WebUser): Promise<void> {
  await page.goto(base + '/')
  await page.getByLabel('Email').fill(u.email)
  await page.getByLabel('Password').fill(u.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  if (u.user.role !== 'patient') {
    await page.getByLabel('Code').fill(u.code())
    await page.getByRole('button', { name: 'Verify' }).click()
  }
  await page.getByRole('heading', { name: 'My appointments' }).waitFor()
}

export interface MediaCounters {
  framesDecoded: number; samplesReceived: number; videoInbound: number
  /** Audio RTP packets received: totalSamplesReceived alone also counts concealment played during an outage. */
  audioPackets: number
  screenFrames: number; relay: boolean; localTypes: string[]
  /** Per received track (trackIdentifier): video frames decoded or audio samples received. */
  tracks: Record<string, { kind: string; count: number }>
}

/** Inbound media of every live peer in the page, from getStats (mediasoup's probator left out). */
export async function mediaCounters (page: Page): Promise<MediaCounters> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed')
    const screenVideo = document.querySelector<HTMLVideoElement>('.tile.screen:not([hidden]) video')
    const screenTrack = (screenVideo?.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id
    const out = { framesDecoded: 0, samplesReceived: 0, audioPackets: 0, videoInbound: 0, screenFrames: 0, relay: true, localTypes: [] as string[], tracks: {} as Record<string, { kind: string; count: number }> }
    for (const pc of pcs) {
      const stats = await pc.getStats()
      stats.forEach((s: any) => {
        if (s.type === 'inbound-rtp' && s.mid !== 'probator') {
          if (s.kind === 'video') {
            out.videoInbound++
            out.framesDecoded += s.framesDecoded ?? 0
            if (screenTrack && s.trackIdentifier === screenTrack) out.screenFrames += s.framesDecoded ?? 0
          }
          if (s.kind === 'audio') { out.samplesReceived += s.totalSamplesReceived ?? 0; out.audioPackets += s.packetsReceived ?? 0 }
          // Audio counts real samples only (concealment excluded), so an outage does not look like flow.
          if (s.trackIdentifier) {
            out.tracks[s.trackIdentifier] = {
              kind: s.kind, count: (s.kind === 'video' ? s.framesDecoded : (s.totalSamplesReceived ?? 0) - (s.concealedSamples ?? 0)) ?? 0
            }
          }
        }
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          const pair = stats.get(s.selectedCandidatePairId)
          const local = pair && stats.get(pair.localCandidateId)
          if (local) { out.localTypes.push(local.candidateType); if (local.candidateType !== 'relay') out.relay = false }
        }
      })
    }
    return out
  })
}

/** Polls until check passes or the time is up; returns the last value. */
export async function until<T> (fn: () => Promise<T>, check: (v: T) => boolean, ms: number, every = 500): Promise<T> {
  const end = Date.now() + ms
  let v = await fn()
  while (!check(v) && Date.now() < end) { await sleep(every); v = await fn() }
  return v
}

/**
 * Media is flowing now, not just earlier: video frames decoded, audio samples
 * and audio packets all grow within `ms` (polled, so a busy machine gets the
 * whole window but a healthy call answers in about a second).
 */
export async function flowing (page: Page, ms = 8000): Promise<{ ok: boolean; before: MediaCounters; after: MediaCounters }> {
  const before = await mediaCounters(page)
  const grew = (a: MediaCounters) => a.framesDecoded > before.framesDecoded && a.samplesReceived > before.samplesReceived && a.audioPackets > before.audioPackets
  const after = await until(() => sleep(500).then(() => mediaCounters(page)), grew, ms, 0)
  return { ok: grew(after), before, after }
}

export async function cspViolations (page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)
}

/**
 * Media on tracks that did not exist before (`old`): after a rebuild, both a
 * video track decoding more frames and an audio track receiving more samples.
 */
export async function freshFlow (page: Page, old: Set<string>, ms = 1500): Promise<boolean> {
  const a = await mediaCounters(page)
  await sleep(ms)
  const b = await mediaCounters(page)
  const grew = (kind: string) => Object.entries(b.tracks).some(([id, x]) => !old.has(id) && x.kind === kind && x.count > (a.tracks[id]?.count ?? 0) && (a.tracks[id]?.count ?? 0) > 0)
  return grew('video') && grew('audio')
}

const LOCK = join(tmpdir(), 'bedside-web-browser-tests.lock')

/**
 * One browser test file at a time on this machine: each runs two Chromiums
 * with live video, and tap runs files in parallel on 2 shared cores. A lock
 * whose owner process is gone is taken over.
 */
export async function exclusiveBrowsers (t: Test): Promise<void> {
  const deadline = Date.now() + 10 * 60_000
  for (;;) {
    // Written aside, then linked into place: the lock never exists without its owner's pid.
    const mine = `${LOCK}.${process.pid}`
    await writeFile(mine, String(process.pid))
    try {
      await link(mine, LOCK)
      await rm(mine, { force: true })
      t.teardown(() => rm(LOCK, { force: true }))
      return
    } catch (err) {
      await rm(mine, { force: true })
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number(await readFile(LOCK, 'utf8').catch(() => '0'))
      let alive = false
      try { if (owner > 0) { process.kill(owner, 0); alive = true } } catch { alive = false }
      if (!alive) { await rm(LOCK, { force: true }); continue }
      if (Date.now() > deadline) throw new Error('another browser test held the lock for 10 minutes')
      await sleep(1000)
    }
  }
}
