import { type CallSample, type IceServer, type RelayCall } from './browser-call.js'
import { creds, sleep } from './helpers.js'

/** Each page is its own participant with its own credentials. */
export const servers = (url: string) => (side: 'a' | 'b'): IceServer[] => {
  const c = creds(`browser-${side}`, 3600)
  return [{ urls: url, username: c.username, credential: c.password }]
}

interface Asserts { equal: (...a: any[]) => unknown, ok: (...a: any[]) => unknown }

/** Samples every 10 s: both sides connected, on a relay candidate over `protocol`, decoding more frames each time. */
export async function hold (t: Asserts, call: RelayCall, seconds: number, protocol: string): Promise<CallSample[]> {
  const samples: CallSample[] = []
  const started = Date.now()
  // Give ICE a moment; then every sample must show both sides connected, relayed and decoding more frames.
  await sleep(5000)
  let last = await call.sample()
  samples.push(last)
  while (Date.now() - started < seconds * 1000) {
    await sleep(10_000)
    const s = await call.sample()
    samples.push(s)
    const at = Math.round((s.t - started) / 1000)
    for (const side of ['a', 'b'] as const) {
      t.equal(s[side].state, 'connected', `${side} connected at ${at}s`)
      t.equal(s[side].localType, 'relay', `${side} on a relay candidate`)
      t.equal(s[side].relayProtocol, protocol, `${side} reaches TURN over ${protocol}`)
      t.ok(s[side].framesDecoded > last[side].framesDecoded, `${side} decoded frames grow at ${at}s (${last[side].framesDecoded} -> ${s[side].framesDecoded})`)
    }
    last = s
  }
  return samples
}
