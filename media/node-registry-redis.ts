import type { Redis } from 'ioredis'
import type { MediaNode, NodeRegistry, Reassignment } from './node-registry.js'

// Keys (under the prefix): node:<id> JSON with a TTL (the heartbeat), nodes (set
// of ids ever seen), visits:<id> (set of a node's visits), visit:<visitId>
// (its node). Scripts build key names from the prefix, so this expects one
// Redis, not a cluster.
const CHOOSE = `
local function choose(p, avoid)
  local best, bestLoad = false, nil
  for _, id in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
    local info = redis.call('GET', p .. 'node:' .. id)
    if info and not (avoid and avoid[id]) then
      local cap = tonumber(cjson.decode(info).capacity) or 1
      local load = redis.call('SCARD', p .. 'visits:' .. id) / cap
      if (not best) or load < bestLoad or (load == bestLoad and id < best) then best, bestLoad = id, load end
    end
  end
  return best
end
local function assign(p, v, from, to)
  if from then redis.call('SREM', p .. 'visits:' .. from, v) end
  if to then
    redis.call('SET', p .. 'visit:' .. v, to)
    redis.call('SADD', p .. 'visits:' .. to, v)
  else
    redis.call('DEL', p .. 'visit:' .. v)
  end
end
`
const PLACE = `${CHOOSE}
local p, v = ARGV[1], ARGV[2]
local avoid = {}
for i = 3, #ARGV do avoid[ARGV[i]] = true end
local cur = redis.call('GET', p .. 'visit:' .. v)
if cur and not avoid[cur] and redis.call('EXISTS', p .. 'node:' .. cur) == 1 then return cur end
local to = choose(p, avoid)
assign(p, v, cur, to)
return to`
const SWEEP = `${CHOOSE}
local p = ARGV[1]
local moved = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
  if redis.call('EXISTS', p .. 'node:' .. id) == 0 then
    redis.call('SREM', p .. 'nodes', id)
    for _, v in ipairs(redis.call('SMEMBERS', p .. 'visits:' .. id)) do
      local to = choose(p)
      assign(p, v, id, to)
      table.insert(moved, v); table.insert(moved, id); table.insert(moved, to or '')
    end
    redis.call('DEL', p .. 'visits:' .. id)
  end
end
return moved`

export function createRedisNodeRegistry (redis: Redis, prefix: string, o: { heartbeatMs: number; ttlMs: number }): NodeRegistry {
  const listeners = new Set<(r: Reassignment) => void>()
  const channel = `${prefix}reassigned`
  let sub: Redis | undefined
  let mine: MediaNode | undefined
  let timer: NodeJS.Timeout | undefined

  const beat = async (): Promise<void> => {
    if (!mine) return
    await redis.multi().set(`${prefix}node:${mine.id}`, JSON.stringify(mine), 'PX', o.ttlMs).sadd(`${prefix}nodes`, mine.id).exec()
  }
  const listen = async (): Promise<void> => {
    if (sub) return
    // Reassignments found by any process reach every process's listeners.
    sub = redis.duplicate()
    sub.on('message', (ch: string, msg: string) => {
      if (ch !== channel) return
      const r = JSON.parse(msg) as Reassignment
      for (const l of listeners) l(r)
    })
    await sub.subscribe(channel)
  }

  const reg: NodeRegistry = {
    async register (node) {
      mine = { id: node.id, address: node.address, capacity: node.capacity }
      await beat()
      timer = setInterval(() => {
        beat().then(() => reg.sweep()).catch(() => { /* Redis away: the next beat retries; the TTL decides */ })
      }, o.heartbeatMs)
      timer.unref()
    },
    async place (visitId, opts) {
      const to = await redis.eval(PLACE, 0, prefix, visitId, ...(opts?.avoid ?? [])) as string | null
      return to || null
    },
    async nodeOf (visitId) { return redis.get(`${prefix}visit:${visitId}`) },
    async release (visitId) {
      const node = await redis.get(`${prefix}visit:${visitId}`)
      const m = redis.multi().del(`${prefix}visit:${visitId}`)
      if (node) m.srem(`${prefix}visits:${node}`, visitId)
      await m.exec()
    },
    async liveNodes () {
      const ids = await redis.smembers(`${prefix}nodes`)
      const out: (MediaNode & { visits: number })[] = []
      for (const id of ids.sort()) {
        const info = await redis.get(`${prefix}node:${id}`)
        if (info) out.push({ ...(JSON.parse(info) as MediaNode), visits: await redis.scard(`${prefix}visits:${id}`) })
      }
      return out
    },
    async sweep () {
      const flat = await redis.eval(SWEEP, 0, prefix) as string[]
      const moved: Reassignment[] = []
      for (let i = 0; i < flat.length; i += 3) moved.push({ visitId: flat[i]!, from: flat[i + 1]!, to: flat[i + 2] || null })
      for (const r of moved) await redis.publish(channel, JSON.stringify(r))
      return moved
    },
    async onReassigned (l) {
      listeners.add(l)
      await listen()
      return () => { listeners.delete(l) }
    },
    async close (opts) {
      if (timer) clearInterval(timer)
      if (mine && opts?.graceful !== false) {
        await redis.del(`${prefix}node:${mine.id}`)
        await reg.sweep()
      }
      listeners.clear()
      if (sub) { sub.disconnect(); sub = undefined }
    }
  }
  return reg
}
