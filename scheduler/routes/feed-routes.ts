import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { appendAudit } from '../../core/audit/audit-log.js'
import { Forbidden, NotFound } from '../../core/errors.js'
import { appointmentStore } from '../appointment-store.js'
import { visibleTo } from '../booking.js'
import { actionContext, auditFrom, type SchedulerDeps } from '../context.js'
import { feedOwner, issueFeedToken, renderCalendar, revokeFeedToken } from '../ical.js'
import { FeedIssued, FeedQuery, IdParams, NoContent, ProviderParams, errors } from '../schemas.js'

const tags = ['Scheduling: calendar feeds']
const DAY = 86_400_000
const ICS = 'text/calendar; charset=utf-8'

export default async function feedRoutes (fastify: FastifyInstance, d: SchedulerDeps) {
  const f = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const feedUrl = (token: string) => `${d.publicUrl.replace(/\/$/, '')}/calendar/feed.ics?token=${token}`

  f.post('/providers/:providerId/calendar-feed', {
    config: { access: { roles: ['provider', 'staff'] } },
    schema: {
      tags, params: ProviderParams, response: { 201: FeedIssued, ...errors(403) },
      description: 'Issues the provider\'s secret iCal URL (shown once; issuing again revokes the old one).'
    }
  }, async (req, reply) => {
    const c = actionContext(req)
    if (c.actor.role === 'provider' && c.actor.id !== req.params.providerId) throw new Forbidden()
    const token = await d.db.transaction(async (tx) => {
      const t = await issueFeedToken(tx, req.params.providerId)
      await appendAudit(tx, auditFrom(c, { action: 'calendar-feed.issue', outcome: 'success', targetType: 'provider-calendar', targetId: req.params.providerId }))
      return t
    })
    reply.header('cache-control', 'no-store')
    return reply.code(201).send({ url: feedUrl(token), note: 'Keep this URL secret: anyone holding it sees the times of your visits. Revoke it if it leaks.' })
  })

  f.delete('/providers/:providerId/calendar-feed', {
    config: { access: { roles: ['provider', 'staff'] } },
    schema: { tags, params: ProviderParams, response: { 204: NoContent, ...errors(403, 404) } }
  }, async (req, reply) => {
    const c = actionContext(req)
    if (c.actor.role === 'provider' && c.actor.id !== req.params.providerId) throw new Forbidden()
    const revoked = await d.db.transaction(async (tx) => {
      const ok = await revokeFeedToken(tx, req.params.providerId)
      if (ok) await appendAudit(tx, auditFrom(c, { action: 'calendar-feed.revoke', outcome: 'success', targetType: 'provider-calendar', targetId: req.params.providerId }))
      return ok
    })
    if (!revoked) throw new NotFound('Calendar feed')
    return reply.code(204).send(null)
  })

  // Calendar apps cannot send a bearer token: the secret in the query string is
  // the credential (the logger drops query strings; only its hash is stored).
  f.get('/calendar/feed.ics', {
    config: { access: 'public' },
    schema: { tags, querystring: FeedQuery, response: { 200: Type.String(), ...errors(400, 404) } }
  }, async (req, reply) => {
    const providerId = await feedOwner(d.db, req.query.token)
    if (!providerId) throw new NotFound('Calendar feed')
    const now = d.now()
    const rows = await appointmentStore(d.db).list({
      providerId, from: new Date(now - 30 * DAY), to: new Date(now + 366 * DAY),
      statuses: ['proposed', 'booked', 'arrived', 'fulfilled', 'cancelled'], limit: 5000
    })
    reply.header('cache-control', 'private, no-store').type(ICS)
    return renderCalendar('Bedside visits', rows, d.publicUrl)
  })

  f.get('/appointments/:id/ics', {
    config: { access: { roles: ['patient', 'provider', 'staff'] } },
    schema: { tags, params: IdParams, description: 'The visit as an .ics file for the patient\'s own calendar (no PHI).', response: { 200: Type.String(), ...errors(404) } }
  }, async (req, reply) => {
    const c = actionContext(req)
    const a = visibleTo(c, await appointmentStore(d.db).get(req.params.id))
    reply.header('content-disposition', 'attachment; filename="video-visit.ics"').header('cache-control', 'private, no-store').type(ICS)
    return renderCalendar('Bedside visit', [a], d.publicUrl)
  })
}
