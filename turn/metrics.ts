import { Counter, Gauge, Registry } from 'prom-client'
import type { AllocationTable } from './allocations.js'
import type { TurnStats } from './stats.js'

/**
 * Prometheus view of one TURN server. The engine counts in plain numbers on
 * its hot path; these collectors copy them only when scraped. A registry per
 * server, so two servers in one process (tests) never share series.
 */
export function createTurnMetrics (stats: TurnStats, table: Pick<AllocationTable, 'size'>, registry = new Registry()): Registry {
  const fromStat = (name: string, help: string, read: () => number): void => {
    // eslint-disable-next-line no-new
    new Counter({ name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } })
  }
  // eslint-disable-next-line no-new
  new Gauge({ name: 'bedside_turn_allocations', help: 'Allocations held now.', registers: [registry], collect () { this.set(table.size) } })
  fromStat('bedside_turn_allocations_created_total', 'Allocations created.', () => stats.allocationsTotal)
  // eslint-disable-next-line no-new
  new Counter({
    name: 'bedside_turn_relayed_bytes_total',
    help: 'Payload bytes relayed, by direction.',
    labelNames: ['direction'],
    registers: [registry],
    collect () {
      this.reset()
      this.labels('to_peer').inc(stats.bytesToPeer)
      this.labels('to_client').inc(stats.bytesToClient)
    }
  })
  // eslint-disable-next-line no-new
  new Counter({
    name: 'bedside_turn_relayed_packets_total',
    help: 'Datagrams relayed, by direction.',
    labelNames: ['direction'],
    registers: [registry],
    collect () {
      this.reset()
      this.labels('to_peer').inc(stats.packetsToPeer)
      this.labels('to_client').inc(stats.packetsToClient)
    }
  })
  fromStat('bedside_turn_refused_peers_total', 'CreatePermission/ChannelBind refused by the peer-address policy.', () => stats.refusedPeers)
  fromStat('bedside_turn_dropped_from_peers_total', 'Datagrams from peers without permission.', () => stats.droppedFromPeers)
  fromStat('bedside_turn_auth_failures_total', 'Requests refused for missing, wrong or expired credentials.', () => stats.authFailures)
  fromStat('bedside_turn_quota_rejections_total', 'Allocations refused by per-participant or total quota.', () => stats.quotaRejections)
  fromStat('bedside_turn_malformed_total', 'Datagrams that were not valid STUN/ChannelData for this server.', () => stats.malformed)
  fromStat('bedside_turn_errors_total', 'Unexpected errors caught in the packet path.', () => stats.errors)
  return registry
}
