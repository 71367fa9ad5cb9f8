import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Db } from './db.js'
import { migrationsDir } from './db.js'

// Any fixed number: all Bedside processes agree on it so two starting at once
// apply migrations one after the other.
const MIGRATION_LOCK = 7_311_925

export interface Migration { version: string; sql: string }

/** Files named NNNN_what.sql, applied in name order. */
export function listMigrations (dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ''), sql: readFileSync(join(dir, f), 'utf8') }))
}

/** Applies every pending migration in one transaction: all land or none do. */
export async function migrate (db: Db, migrations = listMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
    const done = new Set((await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version))
    const applied: string[] = []
    for (const m of migrations) {
      if (done.has(m.version)) continue
      await tx.query(m.sql)
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version])
      applied.push(m.version)
    }
    return applied
  })
}
