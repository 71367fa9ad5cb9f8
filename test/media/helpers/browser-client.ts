import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import type { MediaEngine, MediaKind, ParticipantRef } from '../../../media/engine.js'
import type { ClientDriver, TestClient } from './client.js'
import { pageMain } from './browser-page.js'

export const CHROMIUM_FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'
]

/** A page per participant in one headless Chromium, served from loopback so getUserMedia is allowed. */
export async function chromiumDriver (): Promise<ClientDriver & { pages: Page[] }> {
  const bundle = await build({
    entryPoints: ['mediasoup-client'], bundle: true, format: 'iife', globalName: 'mediasoupClient', write: false, platform: 'browser', logLevel: 'silent'
  })
  // tsx wraps named functions in __name(); define it for the serialized page code.
  const script = `${bundle.outputFiles[0]!.text}\nvar __name = (f) => f;\n(${pageMain.toString()})()`
  const server: Server = createServer((req, res) => {
    if (req.url === '/page.js') { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(script); return }
    res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><body><script src="/page.js"></script></body>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const userDataDir = await mkdtemp(join(tmpdir(), 'bds-chromium-'))
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true
  })
  const pages: Page[] = []
  return {
    name: 'headless Chromium',
    realMedia: true,
    pages,
    async join (engine, ref) {
      const page = await context.newPage()
      pages.push(page)
      await page.goto(url)
      await page.waitForFunction(() => (window as unknown as { bds?: unknown }).bds !== undefined)
      return engine.kind === 'werift' ? weriftClient(engine, ref, page) : mediasoupClient(engine, ref, page)
    },
    async close () {
      await context.close()
      await new Promise((resolve) => server.close(resolve))
      await rm(userDataDir, { recursive: true, force: true })
    }
  }
}

type Bds = Record<string, (...args: any[]) => any> // eslint-disable-line @typescript-eslint/no-explicit-any
const call = <T>(page: Page, fn: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(({ fn, args }) => ((window as unknown as { bds: Bds }).bds[fn]!)(...args), { fn, args }) as Promise<T>

function received (page: Page, consumerId: string) {
  return {
    received: () => call<number>(page, 'received', consumerId),
    framesDecoded: () => call<number>(page, 'framesDecoded', consumerId),
    frameWidth: () => call<number>(page, 'frameWidth', consumerId)
  }
}

async function weriftClient (engine: MediaEngine, ref: ParticipantRef, page: Page): Promise<TestClient> {
  await engine.addParticipant(ref, { engine: 'werift' })
  let sendId: string | undefined
  let recvId: string | undefined
  return {
    ref,
    async publish (kind: MediaKind, source, opts) {
      sendId ??= (await engine.createTransport(ref, 'send')).id
      const { offer, mid } = await call<{ offer: string; mid: string }>(page, 'werPublish', kind, opts?.codec)
      const produced = await engine.produce(ref, sendId, { kind, source, offer: { engine: 'werift', offer, mid } })
      if (produced.answer.engine !== 'werift') throw new Error('engine mismatch')
      await call(page, 'werAnswer', produced.answer.answer)
      return { producerId: produced.producerId }
    },
    async subscribe (producerId) {
      recvId ??= (await engine.createTransport(ref, 'recv')).id
      const consumed = await engine.consume(ref, recvId, producerId)
      if (consumed.offer.engine !== 'werift') throw new Error('engine mismatch')
      const answer = await call<string>(page, 'werConsume', consumed.consumerId, consumed.offer.offer, consumed.offer.mid)
      await engine.connectTransport(ref, recvId, { engine: 'werift', answer })
      return { consumerId: consumed.consumerId, ...received(page, consumed.consumerId) }
    },
    async close () { await call(page, 'close') }
  }
}

async function mediasoupClient (engine: MediaEngine, ref: ParticipantRef, page: Page): Promise<TestClient> {
  const caps = await engine.createRoom(ref.visitId)
  if (caps.engine !== 'mediasoup') throw new Error('engine mismatch')
  await page.exposeFunction('bdsConnect', (transportId: string, dtlsParameters: never) =>
    engine.connectTransport(ref, transportId, { engine: 'mediasoup', dtlsParameters }))
  await page.exposeFunction('bdsProduce', async (transportId: string, kind: MediaKind, source: 'camera', rtpParameters: never) =>
    (await engine.produce(ref, transportId, { kind, source, offer: { engine: 'mediasoup', rtpParameters } })).producerId)
  const rtpCapabilities = await call<never>(page, 'msLoad', caps.routerRtpCapabilities)
  await engine.addParticipant(ref, { engine: 'mediasoup', rtpCapabilities })
  let recvId: string | undefined
  let sending = false
  return {
    ref,
    async publish (kind, source, opts) {
      if (!sending) { sending = true; await call(page, 'msTransport', 'send', await engine.createTransport(ref, 'send')) }
      return { producerId: await call<string>(page, 'msPublish', kind, source, opts?.codec) }
    },
    async subscribe (producerId) {
      if (!recvId) {
        const params = await engine.createTransport(ref, 'recv')
        recvId = params.id
        await call(page, 'msTransport', 'recv', params)
      }
      const consumed = await engine.consume(ref, recvId, producerId)
      if (consumed.offer.engine !== 'mediasoup') throw new Error('engine mismatch')
      await call(page, 'msConsume', { ...consumed, rtpParameters: consumed.offer.rtpParameters })
      return { consumerId: consumed.consumerId, ...received(page, consumed.consumerId) }
    },
    async close () { await call(page, 'close') }
  }
}
