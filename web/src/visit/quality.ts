export type Quality = 'good' | 'fair' | 'poor' | 'unknown'

interface Sample { lost: number; received: number; rtt?: number; bytesIn: number; at: number }

type Stat = { type: string; kind?: string; mid?: string; packetsLost?: number; packetsReceived?: number; bytesReceived?: number
  state?: string; nominated?: boolean; currentRoundTripTime?: number }

/**
 * Connection quality from getStats deltas: loss over the last interval and
 * the selected candidate pair's round trip. Thresholds follow common
 * guidance for interactive video (loss above 2% / 8%, RTT above 300 / 600 ms).
 */
export function createQualityMeter () {
  let last: Sample | undefined
  return (reports: RTCStatsReport[]): { quality: Quality; lossPct?: number; rttMs?: number } => {
    const now: Sample = { lost: 0, received: 0, bytesIn: 0, at: Date.now() }
    const rtts: number[] = []
    for (const r of reports) {
      r.forEach((s: Stat) => {
        if (s.type === 'inbound-rtp' && s.mid !== 'probator') {
          now.lost += Math.max(0, s.packetsLost ?? 0)
          now.received += s.packetsReceived ?? 0
          now.bytesIn += s.bytesReceived ?? 0
        }
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated && typeof s.currentRoundTripTime === 'number') {
          rtts.push(s.currentRoundTripTime * 1000)
        }
      })
    }
    now.rtt = rtts.length ? Math.max(...rtts) : undefined
    const prev = last
    last = now
    if (!prev) return { quality: 'unknown', rttMs: now.rtt }
    const lost = now.lost - prev.lost
    const got = now.received - prev.received
    const lossPct = lost + got > 0 ? (100 * lost) / (lost + got) : undefined
    const rttMs = now.rtt === undefined ? undefined : Math.round(now.rtt)
    // Nothing arriving at all while others send video is the worst case.
    if (got <= 0 && now.bytesIn === prev.bytesIn && now.received > 0) return { quality: 'poor', lossPct, rttMs }
    if (lossPct === undefined && rttMs === undefined) return { quality: 'unknown' }
    if ((lossPct ?? 0) > 8 || (rttMs ?? 0) > 600) return { quality: 'poor', lossPct, rttMs }
    if ((lossPct ?? 0) > 2 || (rttMs ?? 0) > 300) return { quality: 'fair', lossPct, rttMs }
    return { quality: 'good', lossPct, rttMs }
  }
}
