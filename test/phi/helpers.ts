import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

let slot = 0

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
