import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { appendAudit } from '../../core/audit/audit-log.js'
import { BadRequest, Forbidden } from '../../core/errors.js'
import { checkIn, readReason, setStatus, toView } from '../appointment-status.js'
import { appointmentStore } from '../appointment-store.js'
import { book, cancel, reschedule, visibleTo } from '../booking.js'
import { actionContext, auditFrom, type SchedulerDeps } from '../context.js'
import {
  Appointment, AppointmentList, BookBody, CancelBody, IdParams, IdempotencyHeaders, ListQuery, ReminderStatusList,
  RescheduleBody, StatusBody, WaitingList, WaitingQuery, errors
} from '../schemas.js'

const tags = ['Scheduling: appointments']
const people = { roles: ['patient', 'provider', 'staff'] as const }

export default async function appointmentRoutes (fastify: FastifyInstance, d: SchedulerDeps) {
  const f = fastify.withTypeProvider<TypeBoxTypeProvider>()

  f.post('/appointments', {
    config: { access: people },
    schema: {
      tags, headers: IdempotencyHeaders, body: BookBody,
      description: 'Book a slot. Patients book for themselves; staff (and a provider on their own calendar) book for a patient. Send Idempotency-Key to make retries safe.',
      response: { 200: Appointment, 201: Appointment, ...errors(400, 403, 409, 422) }
    }
  }, async (req, reply) => {
    const c = actionContext(req)
    const b = req.body
    const patientId = b.patientId ?? (c.actor.role === 'patient' ? c.actor.id : undefined)
    if (!patientId) throw new BadRequest('patientId is required when booking for a patient')
    const { appointment, replayed } = await book(d, c, {
      patientId, providerId: b.providerId, visitTypeId: b.visitTypeId, startsAt: Date.parse(b.startsAt),
      reason: b.reason, status: b.status ?? 'booked', idempotencyKey: req.headers['idempotency-key']
    })
    if (replayed) reply.header('idempotent-replayed', 'true')
    return reply.code(replayed ? 200 : 201).send(toView(appointment))
  })

  f.get('/appointments', {
    config: { access: people },
    schema: { tags, querystring: ListQuery, response: { 200: AppointmentList, ...errors(400, 403) } }
  }, async (req) => {
    const c = actionContext(req)
    const q = req.query
    // Patients and providers see their own; staff must say whose.
    const patientId = c.actor.role === 'patient' ? c.actor.id : q.patientId
    const providerId = c.actor.role === 'provider' ? c.actor.id : q.providerId
    if ((c.actor.role === 'patient' && q.patientId && q.patientId !== c.actor.id) ||
        (c.actor.role === 'provider' && q.providerId && q.providerId !== c.actor.id)) throw new Forbidden()
    if (c.actor.role === 'staff' && !patientId && !providerId) throw new BadRequest('Staff must filter by providerId or patientId')
    const rows = await appointmentStore(d.db).list({
      patientId, providerId, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined,
      statuses: q.status, limit: q.limit ?? 50
    })
    return { appointments: rows.map(toView) }
  })

  f.get('/appointments/:id', {
    config: { access: people },
    schema: { tags, params: IdParams, response: { 200: Appointment, ...errors(404) } }
  }, async (req) => {
    const c = actionContext(req)
    const a = visibleTo(c, await appointmentStore(d.db).get(req.params.id))
    const view = toView(a)
    view.reason = await readReason(d, c, a)
    if (view.reason !== undefined) {
      await appendAudit(d.db, auditFrom(c, { action: 'appointment.read-reason', outcome: 'success', targetType: 'appointment', targetId: a.id }))
    }
    return view
  })

  f.post('/appointments/:id/cancel', {
    config: { access: people },
    schema: { tags, params: IdParams, body: CancelBody, response: { 200: Appointment, ...errors(404, 409, 422) } }
  }, async (req) => {
    const c = actionContext(req)
    return toView(await cancel(d, c, req.params.id, req.body.reason))
  })

  f.post('/appointments/:id/reschedule', {
    config: { access: people },
    schema: { tags, params: IdParams, body: RescheduleBody, response: { 200: Appointment, ...errors(404, 409, 422) } }
  }, async (req) => {
    const c = actionContext(req)
    const b = req.body
    return toView(await reschedule(d, c, req.params.id, { startsAt: Date.parse(b.startsAt), visitTypeId: b.visitTypeId, reason: b.reason }))
  })

  f.post('/appointments/:id/status', {
    config: { access: people },
    schema: { tags, params: IdParams, body: StatusBody, response: { 200: Appointment, ...errors(403, 404, 409, 422) } }
  }, async (req) => {
    const c = actionContext(req)
    return toView(await setStatus(d, c, req.params.id, req.body.status))
  })

  f.post('/appointments/:id/check-in', {
    config: { access: people },
    schema: { tags, params: IdParams, response: { 200: Appointment, ...errors(404, 409, 422) } }
  }, async (req) => {
    const c = actionContext(req)
    return toView(await checkIn(d, c, req.params.id))
  })

  f.get('/appointments/:id/reminders', {
    config: { access: { roles: ['patient', 'staff'] } },
    schema: { tags, params: IdParams, description: 'Delivery status of each reminder of a visit.', response: { 200: ReminderStatusList, ...errors(404) } }
  }, async (req) => {
    const c = actionContext(req)
    visibleTo(c, await appointmentStore(d.db).get(req.params.id))
    const { rows } = await d.db.query<{ channel: string; status: string; attempts: number; due: Date; sent: Date | null }>(
      `SELECT channel, status, attempts, next_attempt_at AS due, sent_at AS sent FROM outbox
        WHERE dedupe_key LIKE $1 ORDER BY next_attempt_at`, [`appt:${req.params.id}:%`])
    return { reminders: rows.map((r) => ({ channel: r.channel, status: r.status, attempts: r.attempts, dueAt: r.due.toISOString(), sentAt: r.sent?.toISOString() ?? null })) }
  })

  f.get('/waiting-room', {
    config: { access: { roles: ['provider', 'staff'] } },
    schema: {
      tags, querystring: WaitingQuery, description: 'Checked-in patients, longest waiting first. Providers see their own; staff any or all.',
      response: { 200: WaitingList, ...errors(403) }
    }
  }, async (req) => {
    const c = actionContext(req)
    if (c.actor.role === 'provider' && req.query.providerId && req.query.providerId !== c.actor.id) throw new Forbidden()
    const providerId = c.actor.role === 'provider' ? c.actor.id : req.query.providerId ?? null
    const rows = await appointmentStore(d.db).waiting(providerId)
    return {
      waiting: rows.map((a) => ({
        appointmentId: a.id, patientId: a.patientId, providerId: a.providerId, startsAt: a.startsAt.toISOString(), checkedInAt: (a.checkedInAt ?? a.updatedAt).toISOString()
      }))
    }
  })
}
