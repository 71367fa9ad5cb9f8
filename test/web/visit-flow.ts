import type { Test } from 'tap'
import { createTurnServer, type TurnServer } from '../../turn/server.js'
import { createAppointment } from '../signalling/helpers.js'
import { openBrowser, pageUser, signIn, webApp, TURN_SECRET, type Browser } from './helpers.js'
import { udpGate, type UdpGate } from './udp-gate.js'

/** Bedside's bundled TURN on loopback (UDP and TCP on one port); loopback peers allowed for the test only. */
export async function startTurn (t: Test): Promise<{ server: TurnServer; urls: string; udpPort: number }> {
  const server = createTurnServer({
    secret: TURN_SECRET, realm: 'bedside', host: '127.0.0.1', port: 0, tcp: true, minPort: 49152, maxPort: 65535,
    defaultLifetime: 600, maxLifetime: 3600, userQuota: 12, totalQuota: 1000, allowedPeers: ['127.0.0.1'], deniedPeers: []
  })
  await server.start()
  t.teardown(() => server.stop())
  const { ports } = server.stats()
  return { server, udpPort: ports.udp!, urls: `turn:127.0.0.1:${ports.udp}?transport=udp,turn:127.0.0.1:${ports.tcp}?transport=tcp` }
}

export interface Visit {
  base: string
  patient: Browser
  provider: Browser
  turn: TurnServer
  app: Awaited<ReturnType<typeof webApp>>['app']
  /** With `gatedPatient`: the patient's only network path for media. */
  gate?: UdpGate
  /** URL of every signalling socket either browser opened. */
  sockets: string[]
}

/**
 * Everything up to the patient sitting in the waiting room: a real API
 * (werift engine) with TURN, a patient and a provider signed in through the
 * real page, the provider in the visit, the patient past the device check.
 */
export async function toWaitingRoom (t: Test, o: {
  relay?: boolean; settings?: Record<string, string>; patientViewport?: { width: number; height: number }
  /** The patient is relay-only through a UDP gate in front of TURN, so a test can cut its media path. */
  gatedPatient?: boolean
  /** Fake cameras in the patient's browser (Chromium's default is one). */
  patientCameras?: number
} = {}): Promise<Visit> {
  const started = Date.now()
  const turn = await startTurn(t)
  const gate = o.gatedPatient ? await udpGate(t, turn.udpPort) : undefined
  if (gate) o = { ...o, settings: { TURN_URLS: `turn:127.0.0.1:${gate.port}?transport=udp`, ...o.settings } }
  // WEB_TEST_ENGINE=mediasoup (with MEDIASOUP_WORKER_BIN) runs the same visit on the mediasoup adapter.
  const engine = process.env.WEB_TEST_ENGINE ?? 'werift'
  const mediasoup = engine === 'mediasoup'
    ? { ...(process.env.MEDIASOUP_WORKER_BIN ? { MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN } : {}), ...(process.env.MEDIASOUP_MODULE ? { MEDIASOUP_MODULE: process.env.MEDIASOUP_MODULE } : {}) }
    : {}
  const { app, base } = await webApp(t, { TURN_URLS: turn.urls, MEDIA_ICE_SERVERS: '[]', MEDIA_ENGINE: engine, ...mediasoup, ...o.settings })
  const pu = await pageUser(app, 'patient')
  const dr = await pageUser(app, 'provider')
  await createAppointment(app, pu.user, dr.user)

  const provider = await openBrowser(t, { relay: o.relay })
  const patient = await openBrowser(t, { relay: o.relay || o.gatedPatient, viewport: o.patientViewport, cameras: o.patientCameras })
  const sockets: string[] = []
  for (const b of [provider, patient]) b.page.on('websocket', (ws) => { sockets.push(ws.url()) })
  await signIn(provider.page, base, dr)
  await provider.page.getByRole('button', { name: /^Start visit/ }).click()
  await provider.page.getByRole('heading', { name: 'Video visit' }).waitFor()

  t.comment(`provider in the visit after ${((Date.now() - started) / 1000).toFixed(1)} s`)
  await signIn(patient.page, base, pu)
  await patient.page.getByRole('button', { name: /^Join video visit/ }).click()
  await patient.page.getByRole('heading', { name: 'Device check' }).waitFor()
  const next = patient.page.getByRole('button', { name: 'Go to the waiting room' })
  await next.waitFor()
  await patient.page.waitForFunction(() => !(document.querySelector('button.primary') as HTMLButtonElement | null)?.disabled, undefined, { timeout: 30_000 })
  return { base, patient, provider, turn: turn.server, app, gate, sockets }
}

export async function goWaiting (v: Visit): Promise<void> {
  await v.patient.page.getByRole('button', { name: 'Go to the waiting room' }).click()
  await v.patient.page.getByRole('heading', { name: 'Waiting room' }).waitFor()
}

export async function admit (v: Visit): Promise<void> {
  await v.provider.page.locator('.queue-entry').first().waitFor()
  await v.provider.page.getByRole('button', { name: /^Admit/ }).first().click()
  await v.patient.page.getByRole('heading', { name: 'Video visit' }).waitFor({ timeout: 15_000 })
}
