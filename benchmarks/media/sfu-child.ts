import type { MediaEngine } from '../../media/engine.js'
import { createWeriftEngine } from '../../media/werift/engine.js'

/**
 * The SFU under test, alone in its own process so its CPU time is its own:
 * the parent's publishers and subscribers (also werift) would otherwise be
 * counted. Engine calls arrive over the IPC channel.
 */
const engine: MediaEngine = createWeriftEngine({
  engine: 'werift', listenIp: '127.0.0.1', rtcMinPort: 20000, rtcMaxPort: 59999, iceServers: [],
  workers: 1, maxIncomingBitrate: 1_500_000, initialOutgoingBitrate: 600_000,
  // Set-up on a crowded machine can be slow; the benchmark measures forwarding, not set-up.
  negotiationTimeoutMs: 120_000
})

// Never outlive the benchmark that started us.
process.on('disconnect', () => { void engine.close().finally(() => process.exit(0)) })

type Call = { id: number; method: string; args: unknown[] }
process.on('message', (m: Call) => {
  const run = async (): Promise<unknown> => {
    if (m.method === 'cpu') return { cpu: process.cpuUsage(), at: process.hrtime.bigint().toString() }
    if (m.method === 'exit') { await engine.close(); setImmediate(() => process.exit(0)); return null }
    const fn = (engine as unknown as Record<string, (...a: unknown[]) => unknown>)[m.method]
    if (typeof fn !== 'function') throw new Error(`no method ${m.method}`)
    return fn(...m.args)
  }
  run().then((result) => process.send!({ id: m.id, result }), (err: Error) => process.send!({ id: m.id, error: err.message }))
})
