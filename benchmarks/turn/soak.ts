import { writeFileSync } from 'node:fs'
import { issueTurnCredentials } from '../../turn/credentials.js'
import { startRelayCall, type CallSample } from '../../test/turn/browser-call.js'
import { BENCH_SECRET, cpuSeconds, startBundled, startCoturn, type RunningTurn } from './servers.js'

/**
 * Soak: a relay-only Chromium call (two browsers, fake 640x480 camera both
 * ways) through one TURN server for N minutes, sampled every 10 s.
 *   npx tsx benchmarks/turn/soak.ts [--server bundled|coturn|both] [--minutes 10] [--transport udp|tcp] [--out file.json]
 */
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : def
}
const minutes = Number(arg('minutes', '10'))
const which = arg('server', 'both')
const transport = arg('transport', 'udp')
const out = arg('out', '')

interface Timeline { server: string, transport: string, minutes: number, samples: Array<CallSample & { serverCpuPct: number }>, verdict: string }

async function soak (turn: RunningTurn): Promise<Timeline> {
  const servers = (side: 'a' | 'b') => {
    const c = issueTurnCredentials({ participantId: `soak-${side}`, ttlSeconds: minutes * 60 + 600 },
      { secret: BENCH_SECRET, urls: [`turn:127.0.0.1:${turn.port}?transport=${transport}`], maxTtlSeconds: 86400 })
    return [{ urls: c.urls, username: c.username, credential: c.credential }]
  }
  const call = await startRelayCall(servers)
  const samples: Timeline['samples'] = []
  const started = Date.now()
  let cpu = cpuSeconds(turn.pid)
  let at = Date.now()
  let verdict = 'held'
  try {
    while (Date.now() - started < minutes * 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 10_000))
      const s = await call.sample()
      const nowCpu = cpuSeconds(turn.pid)
      const serverCpuPct = Math.round(((nowCpu - cpu) / ((Date.now() - at) / 1000)) * 1000) / 10
      cpu = nowCpu; at = Date.now()
      const prev = samples[samples.length - 1]
      samples.push({ ...s, serverCpuPct })
      const line = `${Math.round((s.t - started) / 1000)}s a=${s.a.state}/${s.a.framesDecoded}f/${s.a.packetsLost}lost b=${s.b.state}/${s.b.framesDecoded}f/${s.b.packetsLost}lost relay=${s.a.relayProtocol ?? '-'} cpu=${serverCpuPct}%`
      process.stdout.write(`[${turn.name}] ${line}\n`)
      const stalled = prev !== undefined && (s.a.framesDecoded <= prev.a.framesDecoded || s.b.framesDecoded <= prev.b.framesDecoded)
      if (s.a.state !== 'connected' || s.b.state !== 'connected' || stalled) verdict = `broke at ${Math.round((s.t - started) / 1000)}s`
      if (verdict !== 'held') break
    }
  } finally { await call.close() }
  return { server: turn.name, transport, minutes, samples, verdict }
}

const results: Timeline[] = []
for (const name of which === 'both' ? ['bundled', 'coturn'] : [which]) {
  const turn = name === 'coturn' ? await startCoturn() : await startBundled()
  try { results.push(await soak(turn)) } finally { await turn.stop() }
}
for (const r of results) {
  const last = r.samples[r.samples.length - 1]
  const cpu = r.samples.map((s) => s.serverCpuPct)
  process.stdout.write(`${r.server} over ${r.transport}: ${r.verdict}; ${r.samples.length} samples; frames a=${last?.a.framesDecoded} b=${last?.b.framesDecoded}; lost a=${last?.a.packetsLost} b=${last?.b.packetsLost}; server CPU mean ${(cpu.reduce((x, y) => x + y, 0) / Math.max(1, cpu.length)).toFixed(2)}% of a core\n`)
}
if (out) writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), results }, null, 1))
