import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { appendAudit } from '../../core/audit/audit-log.js'
import type { Queryable } from '../../core/db/db.js'
import { actionContext, auditFrom, type SchedulerDeps } from '../context.js'
import { contactContext, type Channel } from '../reminders.js'
import { Preferences, PreferencesBody, errors } from '../schemas.js'

async function read (q: Queryable, userId: string) {
  const { rows } = await q.query<{ channel: Channel; opted_out: boolean; has_to: boolean }>(
    'SELECT channel, opted_out, to_sealed IS NOT NULL AS has_to FROM reminder_preferences WHERE user_id = $1', [userId])
  const of = (c: Channel) => rows.find((r) => r.channel === c)
  return {
    email: { optedOut: of('email')?.opted_out ?? false },
    sms: { optedOut: of('sms')?.opted_out ?? false, phoneOnFile: of('sms')?.has_to ?? false }
  }
}

export default async function preferenceRoutes (fastify: FastifyInstance, d: SchedulerDeps) {
  const f = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['Scheduling: reminders']
  const access = { roles: ['patient', 'provider', 'staff'] as const }

  f.get('/me/reminder-preferences', {
    config: { access }, schema: { tags, response: { 200: Preferences } }
  }, async (req) => read(d.db, actionContext(req).actor.id))

  f.put('/me/reminder-preferences', {
    config: { access },
    schema: {
      tags, body: PreferencesBody, response: { 200: Preferences, ...errors(400) },
      description: 'Opt in or out of reminders per channel; SMS needs a phone number (E.164, stored encrypted). Applies to reminders already queued.'
    }
  }, async (req) => {
    const c = actionContext(req)
    const userId = c.actor.id
    return d.db.transaction(async (tx) => {
      const set = async (channel: Channel, optedOut: boolean, phone?: string | null) => {
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO reminder_preferences (user_id, channel, opted_out) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, channel) DO UPDATE SET opted_out = $3, updated_at = now() RETURNING id`, [userId, channel, optedOut])
        if (phone !== undefined) {
          await tx.query('UPDATE reminder_preferences SET to_sealed = $2 WHERE id = $1',
            [rows[0].id, phone === null ? null : d.phi.seal(phone, contactContext(rows[0].id))])
        }
      }
      if (req.body.email) await set('email', req.body.email.optedOut)
      if (req.body.sms) await set('sms', req.body.sms.optedOut, req.body.sms.phone)
      await appendAudit(tx, auditFrom(c, {
        action: 'reminder-preferences.update', outcome: 'success', targetType: 'user', targetId: userId,
        details: { email: req.body.email?.optedOut === undefined ? null : !req.body.email.optedOut, sms: req.body.sms?.optedOut === undefined ? null : !req.body.sms.optedOut, phoneChanged: req.body.sms?.phone !== undefined }
      }))
      return read(tx, userId)
    })
  })
}
