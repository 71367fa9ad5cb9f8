import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { normaliseEmail } from '../../core/crypto/phi.js'
import type { Role } from '../../core/roles.js'

export interface TestUser { id: string; role: Role; email: string; token: string; sessionId: string }

/**
 * A signed-in user of a role, written straight into the real tables (the
 * sign-in flow has its own tests). `mfa` defaults to true for roles that need it;
 * `consent` (default true) accepts the current consent documents.
 */
export async function createTestUser (app: FastifyInstance, role: Role, opts: { mfa?: boolean; email?: string; consent?: boolean } = {}): Promise<TestUser> {
  const id = randomUUID()
  const email = opts.email ?? `${role}-${id.slice(0, 8)}@example.test`
  const mfa = opts.mfa ?? role !== 'patient'
  await app.db.query(
    `INSERT INTO users (id, role, email_index, email_sealed, email_verified_at, mfa_enabled_at)
     VALUES ($1, $2, $3, $4, now(), $5)`,
    [id, role, app.phi.index('email', normaliseEmail(email)), app.phi.seal(normaliseEmail(email), { table: 'users', column: 'email', row: id }),
      mfa ? new Date() : null])
  const { rows } = await app.db.query<{ id: string }>(
    `INSERT INTO sessions (user_id, refresh_hash, mfa, expires_at) VALUES ($1, $2, $3, now() + interval '1 hour') RETURNING id`,
    [id, Buffer.from(randomUUID()), mfa])
  const sessionId = rows[0].id
  // Accepts the current consent documents unless a test wants the consent gate.
  if (opts.consent !== false) {
    await app.db.query(
      `INSERT INTO consent_acceptances (user_id, kind, version)
       SELECT DISTINCT ON (kind) $1::uuid, kind, version FROM consent_documents WHERE $2 = ANY(roles) ORDER BY kind, version DESC`,
      [id, role])
  }
  const token = await app.tokens.sign({ sub: id, role, sid: sessionId, mfa })
  return { id, role, email, token, sessionId }
}

export const bearer = (u: { token: string }) => ({ authorization: `Bearer ${u.token}` })
