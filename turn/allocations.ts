import type dgram from 'node:dgram'
import type { NtAllocation, NtServer } from './node-turn.js'

/**
 * Lifetimes node-turn does not enforce: it never closes relay sockets, never
 * expires channels and counts no quotas. One table per server; a sweep
 * (every second by default) ends whatever has expired.
 */

export interface AllocationEntry {
  allocation: NtAllocation
  participantId: string
  relay: dgram.Socket
  /** channel number -> expiry (ms) */
  channels: Map<number, number>
  /** `ip|port` of a bound peer -> its channel, for the peer-to-client fast path */
  peerChannels: Map<string, number>
}

export const peerKey = (address: string, port: number): string => `${address}|${port}`

export interface AllocationTableOptions {
  server: NtServer
  now: () => number
  onDelete?: (entry: AllocationEntry, why: 'expired' | 'refresh' | 'closed') => void
}

export interface AllocationTable {
  add(entry: AllocationEntry): void
  get(fiveTuple: string): AllocationEntry | undefined
  delete(fiveTuple: string, why: 'expired' | 'refresh' | 'closed'): void
  /** Sets time-to-expiry to lifetime seconds from now. */
  refresh(entry: AllocationEntry, lifetime: number): void
  countFor(participantId: string): number
  readonly size: number
  sweep(): void
  closeAll(): void
  entries(): IterableIterator<AllocationEntry>
}

export function createAllocationTable (opts: AllocationTableOptions): AllocationTable {
  const byTuple = new Map<string, AllocationEntry>()
  const perUser = new Map<string, number>()
  const { server, now } = opts

  const remove = (fiveTuple: string, why: 'expired' | 'refresh' | 'closed'): void => {
    const entry = byTuple.get(fiveTuple)
    if (entry === undefined) return
    byTuple.delete(fiveTuple)
    delete server.allocations[fiveTuple]
    clearTimeout(entry.allocation.timer)
    const left = (perUser.get(entry.participantId) ?? 1) - 1
    if (left > 0) perUser.set(entry.participantId, left)
    else perUser.delete(entry.participantId)
    try { entry.relay.close() } catch { /* already closed */ }
    opts.onDelete?.(entry, why)
  }

  return {
    add (entry) {
      // node-turn arms its own expiry timer, which only forgets the allocation
      // and leaks its socket; this table owns the lifetime instead.
      clearTimeout(entry.allocation.timer)
      byTuple.set(entry.allocation.fiveTuple, entry)
      server.allocations[entry.allocation.fiveTuple] = entry.allocation
      perUser.set(entry.participantId, (perUser.get(entry.participantId) ?? 0) + 1)
    },
    get: (fiveTuple) => byTuple.get(fiveTuple),
    delete: remove,
    refresh (entry, lifetime) {
      entry.allocation.lifetime = lifetime
      entry.allocation.timeToExpiry = now() + lifetime * 1000
    },
    countFor: (participantId) => perUser.get(participantId) ?? 0,
    get size () { return byTuple.size },
    sweep () {
      const t = now()
      for (const [tuple, entry] of byTuple) {
        const a = entry.allocation
        if (a.timeToExpiry <= t) { remove(tuple, 'expired'); continue }
        for (const [peer, expiry] of Object.entries(a.permissions)) {
          if (expiry <= t) delete a.permissions[peer]
        }
        for (const [channel, expiry] of entry.channels) {
          if (expiry > t) continue
          const peer = a.channelBindings[channel]
          if (peer !== undefined) entry.peerChannels.delete(peerKey(peer.address, peer.port))
          entry.channels.delete(channel)
          delete a.channelBindings[channel]
        }
      }
    },
    closeAll () { for (const tuple of [...byTuple.keys()]) remove(tuple, 'closed') },
    entries: () => byTuple.values()
  }
}
