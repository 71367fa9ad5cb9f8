import type { Queryable } from '../../core/db/db.js'
import type { Role } from '../../core/roles.js'

export const CONSENT_KINDS = ['terms', 'privacy', 'telehealth-consent'] as const
export type ConsentKind = typeof CONSENT_KINDS[number]

export interface ConsentDocument {
  kind: ConsentKind; version: number; title: string; body: string; roles: Role[]; publishedAt: Date; accepted: boolean
}

// The newest version of each kind that applies to a role.
const CURRENT = `SELECT DISTINCT ON (kind) kind, version, title, body, roles, published_at
                   FROM consent_documents WHERE $1 = ANY(roles) ORDER BY kind, version DESC`

/**
 * SQL for the first kind whose current version a user has not accepted (or
 * null), given the role as $1 and the user id as $2. The session gate embeds
 * it in its own query, so an authenticated request costs one round trip.
 */
export const PENDING_CONSENT_SQL = `SELECT c.kind FROM (${CURRENT}) c
        WHERE NOT EXISTS (SELECT 1 FROM consent_acceptances a WHERE a.user_id = $2 AND a.kind = c.kind AND a.version = c.version)
        ORDER BY c.kind LIMIT 1`

export async function currentDocuments (q: Queryable, userId: string, role: Role): Promise<ConsentDocument[]> {
  const { rows } = await q.query<{ kind: ConsentKind; version: number; title: string; body: string; roles: Role[]; published_at: Date; accepted: boolean }>(
    `SELECT c.*, EXISTS (SELECT 1 FROM consent_acceptances a WHERE a.user_id = $2 AND a.kind = c.kind AND a.version = c.version) AS accepted
       FROM (${CURRENT}) c ORDER BY c.kind`, [role, userId])
  return rows.map((r) => ({ kind: r.kind, version: r.version, title: r.title, body: r.body, roles: r.roles, publishedAt: r.published_at, accepted: r.accepted }))
}

/** Records acceptance of the current version only: accepting an outdated text would not be informed consent. */
export async function accept (q: Queryable, userId: string, role: Role, kind: ConsentKind, version: number): Promise<'accepted' | 'already' | 'not-current'> {
  const cur = await q.query<{ version: number }>(
    'SELECT max(version) AS version FROM consent_documents WHERE kind = $1 AND $2 = ANY(roles)', [kind, role])
  if (cur.rows[0]?.version !== version) return 'not-current'
  const r = await q.query('INSERT INTO consent_acceptances (user_id, kind, version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [userId, kind, version])
  return r.rowCount === 1 ? 'accepted' : 'already'
}

/** Publishes the next version of a document; every user it applies to must accept it again. */
export async function publish (q: Queryable, d: { kind: ConsentKind; title: string; body: string; roles: Role[]; by: string }): Promise<number> {
  // The table lock serialises two admins publishing at once, so versions never collide.
  await q.query('LOCK TABLE consent_documents IN SHARE ROW EXCLUSIVE MODE')
  const { rows } = await q.query<{ version: number }>(
    `INSERT INTO consent_documents (kind, version, title, body, roles, published_by)
     SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM consent_documents WHERE kind = $1 RETURNING version`,
    [d.kind, d.title, d.body, d.roles, d.by])
  return rows[0].version
}
