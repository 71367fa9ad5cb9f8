import type { ChangeFeed } from '../core/db/change-feed.js'
import type { Queryable } from '../core/db/db.js'
import { calendarStore, type Calendar, type VisitType } from './calendar-store.js'
import type { ProviderVerifiedCheck } from './provider-verification.js'
import { generateSlots } from './slots.js'

export interface SlotQuery {
  providerId?: string; specialty?: string; visitType?: string; visitTypeId?: string
  from: number; to: number; limit: number; cursor?: string
}
export interface Slot {
  providerId: string; visitTypeId: string; visitType: string; durationMinutes: number
  startsAt: string; endsAt: string; timeZone: string
}
export interface SlotPage { slots: Slot[]; nextCursor: string | null }

export interface SlotSearchOptions {
  maxProviders: number
  cacheMs: number
  /** Word of every calendar change from every process (migration 0500): the cache is dropped on each. */
  changes: ChangeFeed
  isProviderVerified: ProviderVerifiedCheck
  now?: () => number
}

const DAY = 86_400_000
type Key = [number, string, string]
const keyOf = (s: { start: number; providerId: string; visitTypeId: string }): Key => [s.start, s.providerId, s.visitTypeId]
const after = (a: Key, b: Key) => a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2]

export const encodeCursor = (k: Key) => Buffer.from(JSON.stringify(k)).toString('base64url')
export function decodeCursor (c: string): Key | null {
  try {
    const k: unknown = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'))
    if (Array.isArray(k) && k.length === 3 && Number.isFinite(k[0]) && typeof k[1] === 'string' && typeof k[2] === 'string') return k as Key
  } catch { /* falls through to null: a bad cursor is the caller's 400 */ }
  return null
}

interface Computed {
  at: number
  all: Array<{ start: number; end: number; cal: Calendar; vt: VisitType }>
  /** Rendered pages by limit and cursor. */
  rendered: Map<string, Buffer>
}

/**
 * Slot search, the most-called route. All slots of a query are computed once
 * and kept for cacheMs, so paging and repeated searches cost no queries. Any
 * change to a calendar, booking or provider's standing, made by any process,
 * clears the cache before the change's own response is sent; while that word
 * cannot be relied on, nothing is served from the cache.
 */
export function createSlotSearch (db: Queryable, o: SlotSearchOptions) {
  const cache = new Map<string, Computed>()
  const now = o.now ?? Date.now
  const MAX_ENTRIES = 500
  const MAX_PAGES = 20
  // Bumped by every change: a computation that overlapped one is not kept.
  let epoch = 0
  o.changes.onChange((topic) => {
    if (topic === 'calendar' || topic === '*') { epoch++; cache.clear() }
  })

  async function compute (q: SlotQuery): Promise<Computed> {
    const store = calendarStore(db)
    const found = await store.findCalendars({ providerId: q.providerId, specialty: q.specialty, limit: o.maxProviders })
    const verified = await Promise.all(found.map((c) => o.isProviderVerified(c.providerId)))
    const cals = found.filter((_, i) => verified[i])
    if (cals.length === 0) return { at: now(), all: [], rendered: new Map() }
    const ids = cals.map((c) => c.providerId)
    const wideFrom = new Date(q.from - DAY)
    const wideTo = new Date(q.to + DAY)
    const [types, rules, exceptions, busy] = await Promise.all([
      store.visitTypes(ids, { code: q.visitType, id: q.visitTypeId }),
      store.rules(ids),
      store.exceptions(ids, wideFrom, wideTo),
      store.busy(ids, wideFrom, wideTo)
    ])
    const t = now()
    const all: Computed['all'] = []
    for (const cal of cals) {
      const mine = <T extends { providerId: string }>(xs: T[]) => xs.filter((x) => x.providerId === cal.providerId)
      const calRules = mine(rules)
      const blocked = mine(exceptions).map((e) => ({ start: e.startsAt.getTime(), end: e.endsAt.getTime() }))
      const calBusy = mine(busy)
      for (const vt of mine(types)) {
        for (const s of generateSlots({ calendar: cal, visitType: vt, rules: calRules, blocked, busy: calBusy, from: q.from, to: q.to, now: t })) {
          all.push({ ...s, cal, vt })
        }
      }
    }
    all.sort((a, b) => a.start - b.start || a.cal.providerId.localeCompare(b.cal.providerId) || a.vt.id.localeCompare(b.vt.id))
    return { at: t, all, rendered: new Map() }
  }

  async function computed (q: SlotQuery): Promise<Computed> {
    const key = JSON.stringify([q.providerId, q.specialty?.toLowerCase(), q.visitType, q.visitTypeId, q.from, q.to])
    const cached = o.changes.live ? cache.get(key) : undefined
    let hit = cached !== undefined && now() - cached.at < o.cacheMs ? cached : undefined
    if (hit === undefined) {
      const started = epoch
      hit = await compute(q)
      if (o.cacheMs > 0 && started === epoch && o.changes.live) {
        if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string)
        cache.set(key, hit)
      }
    }
    return hit
  }

  function pageOf (hit: Computed, q: SlotQuery): SlotPage {
    const cursor = q.cursor ? decodeCursor(q.cursor) : null
    const start = cursor ? hit.all.findIndex((s) => after(keyOf({ start: s.start, providerId: s.cal.providerId, visitTypeId: s.vt.id }), cursor)) : 0
    const page = start < 0 ? [] : hit.all.slice(start, start + q.limit)
    const more = start >= 0 && start + q.limit < hit.all.length
    const last = page[page.length - 1]
    return {
      slots: page.map((s) => ({
        providerId: s.cal.providerId, visitTypeId: s.vt.id, visitType: s.vt.code, durationMinutes: s.vt.durationMinutes,
        startsAt: new Date(s.start).toISOString(), endsAt: new Date(s.end).toISOString(), timeZone: s.cal.timeZone
      })),
      nextCursor: more && last ? encodeCursor([last.start, last.cal.providerId, last.vt.id]) : null
    }
  }

  return {
    /**
     * The page as the route sends it. Many patients look at the same week of
     * the same provider, so each rendered page is kept with its computation
     * and dropped with it.
     */
    async searchRendered (q: SlotQuery, render: (page: SlotPage) => string): Promise<Buffer> {
      const hit = await computed(q)
      const pageKey = `${q.limit}|${q.cursor ?? ''}`
      let body = hit.rendered.get(pageKey)
      if (body === undefined) {
        // Kept as bytes: sending a string would encode it and measure it again on every request.
        body = Buffer.from(render(pageOf(hit, q)), 'utf8')
        if (hit.rendered.size < MAX_PAGES) hit.rendered.set(pageKey, body)
      }
      return body
    }
  }
}

export type SlotSearch = ReturnType<typeof createSlotSearch>
