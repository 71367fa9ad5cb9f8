import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { CHANGES_CHANNEL, createChangeFeed, type ChangeFeed, type ChangeFeedSource } from './change-feed.js'

export interface QueryResult<R> { rows: R[]; rowCount: number }

/** What repositories need: parameterised queries. Both a pool and a transaction satisfy it. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<R>>
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite'
  /** Runs fn in one transaction; any throw rolls everything back, so no half-written rows. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  ping(): Promise<void>
  close(): Promise<void>
  /** Word of committed changes that per-process caches depend on (migration 0500). */
  readonly changes: ChangeFeed
}

export interface DbOptions { databaseUrl?: string; poolSize?: number; dataDir?: string }

export async function createDb (opts: DbOptions): Promise<Db> {
  if (opts.databaseUrl) return createPgDb(opts.databaseUrl, opts.poolSize ?? 10)
  return createPgliteDb(resolve(opts.dataDir ?? './data', 'pglite'))
}

/**
 * Parameterised statements are prepared once per connection (named by their
 * text's hash), so PostgreSQL plans each hot query once, not per request.
 */
const names = new Map<string, string>()
function statementName (text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = 'b' + createHash('sha1').update(text).digest('hex').slice(0, 20)
    // Bounded: generated SQL (rotation over every table) must not grow it forever.
    if (names.size < 5000) names.set(text, name)
  }
  return name
}

function toConfig (text: string, params?: unknown[]): pg.QueryConfig {
  return params && params.length > 0 ? { name: statementName(text), text, values: params } : { text }
}

async function createPgDb (url: string, max: number): Promise<Db> {
  const changes = createChangeFeed()
  // Backend pids of this pool's connections: each hears its own changes (below), so the listener skips them.
  const ours = new Set<number>()
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'bedside',
    // Pooled connections listen too: PostgreSQL hands a session its own
    // notifications before the statement that caused them returns, so a change
    // made here is heard before its response is sent, not merely soon after.
    // Each delivers only its own; everything else comes once, from the listener.
    onConnect: async (client: pg.ClientBase) => {
      const pid = (client as unknown as { processID: number }).processID
      ours.add(pid)
      client.on('end', () => ours.delete(pid))
      client.on('notification', (n) => { if (n.processId === pid && n.payload) changes.deliver(n.payload) })
      await client.query(`LISTEN ${CHANGES_CHANNEL}`)
    }
  })
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const listener = await keepListening(url, changes, (pid) => !ours.has(pid))
  return {
    kind: 'postgres',
    changes,
    async query<R>(text: string, params?: unknown[]) {
      const r = await pool.query(toConfig(text, params))
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 }
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const tx: Queryable = {
          async query<R>(text: string, params?: unknown[]) {
            const r = await client.query(toConfig(text, params))
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 }
          }
        }
        const result = await fn(tx)
        await client.query('COMMIT')
        return result
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },
    async ping () { await pool.query('SELECT 1') },
    async close () { await listener.stop(); await pool.end() }
  }
}

/**
 * One connection that only listens, so changes from other processes are heard
 * even when the pool is idle. While it is down the feed is not live (caches
 * stop serving) and it reconnects with backoff.
 */
async function keepListening (url: string, changes: ChangeFeedSource, fromElsewhere: (pid: number) => boolean): Promise<{ stop (): Promise<void> }> {
  let current: pg.Client | null = null
  let stopped = false
  let retry: NodeJS.Timeout | undefined
  let delay = 250
  const lost = (c: pg.Client) => {
    if (current !== c) return
    current = null
    changes.setLive(false)
    c.end().catch(() => {})
    if (!stopped) {
      retry = setTimeout(() => { void connect() }, delay)
      delay = Math.min(delay * 2, 10_000)
    }
  }
  const connect = async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'bedside-changes', keepAlive: true })
    current = c
    c.on('notification', (n) => { if (n.payload && fromElsewhere(n.processId)) changes.deliver(n.payload) })
    c.on('error', () => lost(c))
    c.on('end', () => lost(c))
    try {
      await c.connect()
      await c.query(`LISTEN ${CHANGES_CHANNEL}`)
      if (current !== c) return
      delay = 250
      changes.setLive(true)
    } catch {
      lost(c)
    }
  }
  await connect()
  return {
    async stop () {
      stopped = true
      clearTimeout(retry)
      changes.setLive(false)
      const c = current
      current = null
      await c?.end().catch(() => {})
    }
  }
}

async function createPgliteDb (dir: string): Promise<Db> {
  mkdirSync(dir, { recursive: true })
  const { PGlite } = await import('@electric-sql/pglite')
  const { btree_gist: btreeGist } = await import('@electric-sql/pglite/contrib/btree_gist')
  const { pgcrypto } = await import('@electric-sql/pglite/contrib/pgcrypto')
  const lite = await PGlite.create(dir, { extensions: { btree_gist: btreeGist, pgcrypto } })
  // One process, one connection: every change is heard, before its statement returns.
  const changes = createChangeFeed()
  await lite.listen(CHANGES_CHANNEL, (payload) => changes.deliver(payload))
  changes.setLive(true)
  const wrap = (q: Pick<typeof lite, 'query' | 'exec'>): Queryable => ({
    async query<R>(text: string, params?: unknown[]) {
      // PGlite's query() takes one statement; exec() runs a script (migrations).
      if (params === undefined || params.length === 0) {
        const all = await q.exec(text)
        const last = all[all.length - 1]
        return { rows: (last?.rows ?? []) as R[], rowCount: last?.affectedRows ?? last?.rows.length ?? 0 }
      }
      const r = await q.query<R>(text, params)
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length }
    }
  })
  return {
    kind: 'pglite',
    changes,
    ...wrap(lite),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return lite.transaction(async (tx) => fn(wrap(tx)))
    },
    async ping () { await lite.query('SELECT 1') },
    async close () { changes.setLive(false); await lite.close() }
  }
}

export const migrationsDir = join(import.meta.dirname, 'migrations')
