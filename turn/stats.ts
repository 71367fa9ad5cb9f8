/** Plain counters the engine bumps on its hot path; metrics.ts exposes them to Prometheus when scraped. */
export interface TurnStats {
  allocationsTotal: number
  packetsToPeer: number
  bytesToPeer: number
  packetsToClient: number
  bytesToClient: number
  /** CreatePermission/ChannelBind requests refused by the peer-address policy. */
  refusedPeers: number
  /** Datagrams from peers without a permission (dropped). */
  droppedFromPeers: number
  authFailures: number
  quotaRejections: number
  /** Datagrams that were neither valid STUN nor ChannelData, or were dropped as such. */
  malformed: number
  /** Unexpected exceptions caught in the packet path. */
  errors: number
}

export function createTurnStats (): TurnStats {
  return {
    allocationsTotal: 0,
    packetsToPeer: 0,
    bytesToPeer: 0,
    packetsToClient: 0,
    bytesToClient: 0,
    refusedPeers: 0,
    droppedFromPeers: 0,
    authFailures: 0,
    quotaRejections: 0,
    malformed: 0,
    errors: 0
  }
}
