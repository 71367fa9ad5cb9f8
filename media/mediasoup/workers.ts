import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { EngineLogger } from '../engine.js'
import { MediaEngineUnavailable } from '../errors.js'
import type { MsModule, MsRouterCodec, MsWorker } from './ms-types.js'

export const ROUTER_CODECS: MsRouterCodec[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 600 } },
  {
    kind: 'video', mimeType: 'video/H264', clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 }
  }
]

/**
 * mediasoup is an optional dependency whose worker binary may be missing; the
 * import and the first worker's start are where that shows. Names the module
 * through a variable so TypeScript does not require it to be installed.
 */
export async function loadMediasoup (workerBin: string | undefined, modulePath?: string): Promise<MsModule> {
  // mediasoup reads the binary path from this variable when it is first imported.
  if (workerBin && !process.env.MEDIASOUP_WORKER_BIN) process.env.MEDIASOUP_WORKER_BIN = workerBin
  const name = modulePath ? pathToFileURL(resolve(modulePath, modulePath.endsWith('.js') ? '' : 'node/lib/index.js')).href : 'mediasoup'
  try {
    const mod = await import(name) as MsModule & { default?: MsModule }
    // A CommonJS build imported by path arrives as { default }.
    return typeof mod.createWorker === 'function' ? mod : mod.default!
  } catch (err) {
    throw new MediaEngineUnavailable(`mediasoup is not installed (${(err as Error).message.split('\n')[0]})`)
  }
}

export interface WorkerPool {
  /** The worker with the fewest routers: one router per visit, so visits spread over cores. */
  pick (): MsWorker
  routerOpened (w: MsWorker): void
  routerClosed (w: MsWorker): void
  readonly workers: readonly MsWorker[]
  close (): void
}

export async function createWorkerPool (
  ms: MsModule, count: number, log: EngineLogger, onDied: (w: MsWorker) => void
): Promise<WorkerPool> {
  const n = count > 0 ? count : availableParallelism()
  const workers: MsWorker[] = []
  const load = new Map<MsWorker, number>()
  try {
    for (let i = 0; i < n; i++) {
      const w = await ms.createWorker({ logLevel: 'warn' })
      w.on('died', (err) => {
        log.warn({ pid: w.pid, reason: err.message }, 'mediasoup worker died; its visits are closed')
        load.delete(w)
        workers.splice(workers.indexOf(w), 1)
        onDied(w)
      })
      workers.push(w)
      load.set(w, 0)
    }
  } catch (err) {
    for (const w of workers) w.close()
    throw new MediaEngineUnavailable(`mediasoup worker did not start (${(err as Error).message.split('\n')[0]})`)
  }
  log.info({ workers: n, version: ms.version }, 'mediasoup workers started')
  return {
    workers,
    pick () {
      let best: MsWorker | undefined
      for (const [w, routers] of load) if (!best || routers < load.get(best)!) best = w
      if (!best) throw new MediaEngineUnavailable('no live mediasoup worker')
      return best
    },
    routerOpened (w) { load.set(w, (load.get(w) ?? 0) + 1) },
    routerClosed (w) { if (load.has(w)) load.set(w, Math.max(0, load.get(w)! - 1)) },
    close () { for (const w of workers) w.close(); workers.length = 0; load.clear() }
  }
}
