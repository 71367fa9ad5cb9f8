import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { loadConfig, type Config } from '../../config/load.js'
import { newKeyringJson, writeKeyringFile } from '../../core/crypto/keyring.js'
import { buildApp } from '../../server/app.js'
import { signingKeysFromJwks, newSigningJwk } from '../../server/auth/signing-keys.js'
import { commands } from '../../server/cli/commands.js'
import { createServices } from '../../server/services.js'
import { testDb } from '../helpers/db.js'
import { createTestUser, type TestUser } from '../helpers/users.js'

let slot = 0

/** A provider whose identity an admin verified (written straight into the table; the workflow has its own test). */
export async function createVerifiedProvider (app: FastifyInstance): Promise<TestUser> {
  const p = await createTestUser(app, 'provider')
  await app.db.query(
    `INSERT INTO provider_profiles (id, name_sealed, verification_status, verified_at) VALUES ($1, $2, 'verified', now())`,
    [p.id, await app.phiVault.seal(p.id, JSON.stringify({ family: 'Test', given: ['Provider'] }), { table: 'provider_profiles', column: 'name', row: p.id })])
  return p
}

/**
 * An appointment straight into the scheduler's tables (their booking flow has
 * its own tests): the care relationship these tests need.
 */
export async function seedAppointment (app: FastifyInstance, patientId: string, providerId: string,
  o: { bookedBy?: string; status?: string; daysFromNow?: number } = {}): Promise<string> {
  await app.db.query(
    `INSERT INTO provider_calendars (provider_id, time_zone, min_notice_minutes, max_advance_days)
     VALUES ($1, 'UTC', 0, 365) ON CONFLICT DO NOTHING`, [providerId])
  const vt = await app.db.query<{ id: string }>(
    `INSERT INTO visit_types (provider_id, code, name, duration_minutes) VALUES ($1, 'std', 'Standard', 30)
     ON CONFLICT (provider_id, code) DO UPDATE SET name = EXCLUDED.name RETURNING id`, [providerId])
  const id = randomUUID()
  const start = new Date(Date.now() + (o.daysFromNow ?? 1) * 86_400_000 + (slot++) * 3_600_000)
  const end = new Date(start.getTime() + 30 * 60_000)
  await app.db.query(
    `INSERT INTO appointments (id, patient_id, provider_id, visit_type_id, status, starts_at, ends_at, busy_from, busy_until, booked_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7, $8)`,
    [id, patientId, providerId, vt.rows[0].id, o.status ?? 'booked', start, end, o.bookedBy ?? patientId])
  return id
}

/** A profile whose every value is unique to this call, so a leak can be searched for. */
export function sampleProfile (tag = randomUUID().slice(0, 8)) {
  const digits = String(parseInt(tag.slice(0, 6), 16) % 10_000_000).padStart(7, '0')
  return {
    legalName: { family: `Zyxfamily${tag}`, given: [`Qwgiven${tag}`] },
    preferredName: `Prefname${tag}`,
    birthDate: '1971-03-14',
    gender: 'female',
    genderIdentity: `Identity${tag}`,
    sexAtBirth: 'female',
    phone: `+1555${digits}`,
    email: `patient.${tag}@mail.example`,
    address: { line: [`${tag} Uniquestreet`], city: `Citytown${tag}`, state: 'OR', postalCode: '97201', country: 'US' },
    emergencyContact: { name: `Emergname${tag}`, relationship: 'sister', phone: `+1666${digits}` },
    preferredLanguage: 'es-MX'
  }
}

/** The strings of a sample profile that must never appear in plaintext anywhere. */
export function secretsOf (p: ReturnType<typeof sampleProfile>): string[] {
  return [p.legalName.family, p.legalName.given[0], p.preferredName, p.genderIdentity, p.phone, p.phone.slice(1), p.email,
    p.address.line[0], p.address.city, p.emergencyContact.name, p.emergencyContact.phone]
}

/**
 * A real app whose PHI keyring is a file on disk (as in production), so the
 * `keys` CLI run against the same config and database changes what it uses.
 */
export async function buildFileKeyedApp (t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-phi-'))
  const keyringFile = join(dir, 'phi-keyring.json')
  writeKeyringFile(keyringFile, newKeyringJson())
  const databaseUrl = await testDb(t)
  const config = loadConfig({
    env: {},
    overrides: { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dir, DATABASE_URL: databaseUrl, RATE_LIMIT_MAX: '1000000', PHI_KEYRING_FILE: keyringFile }
  })
  const services = await createServices(config, { signingKeys: await signingKeysFromJwks({ keys: [await newSigningJwk('test-1')] }) })
  const app = await buildApp(services)
  t.teardown(async () => {
    await app.close()
    await services.close()
    rmSync(dir, { recursive: true, force: true })
  })
  await app.ready()
  return { app, config, keyringFile }
}

/** Runs a CLI command in-process and captures what it printed. */
export async function runCli (config: Config, name: string, args: string[] = []) {
  const out: string[] = []
  const err: string[] = []
  const code = await commands[name].run(config, args, { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}
