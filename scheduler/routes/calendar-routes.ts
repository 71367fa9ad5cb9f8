import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { appendAudit } from '../../core/audit/audit-log.js'
import { Conflict, Forbidden, NotFound, Unprocessable } from '../../core/errors.js'
import { calendarStore, type VisitType } from '../calendar-store.js'
import { actionContext, auditFrom, type ActionContext, type SchedulerDeps } from '../context.js'
import {
  CalendarBody, CalendarView, NoContent, ExceptionBody, ProviderItemParams, ProviderParams, Rule, RuleBody, ScheduleException,
  VisitType as VisitTypeSchema, VisitTypeBody, VisitTypePatch, errors
} from '../schemas.js'
import { isValidZone } from '../slots.js'

const access = { roles: ['provider', 'staff'] as const }
const tags = ['Scheduling: calendars']

/** Providers manage their own calendar; staff manage any provider's. */
function assertManages (c: ActionContext, providerId: string): void {
  if (c.actor.role === 'provider' && c.actor.id !== providerId) throw new Forbidden()
}

const iso = (d: Date) => d.toISOString()
const visitTypeOut = ({ providerId: _p, ...v }: VisitType) => v

export default async function calendarRoutes (fastify: FastifyInstance, d: SchedulerDeps) {
  const f = fastify.withTypeProvider<TypeBoxTypeProvider>()

  /** Every write: authorise, then run in one transaction with its audit entry (the database announces the change to slot caches). */
  async function write<T> (c: ActionContext, providerId: string, action: string, fn: (store: ReturnType<typeof calendarStore>) => Promise<T>,
    needCalendar = true): Promise<T> {
    assertManages(c, providerId)
    return d.db.transaction(async (tx) => {
      const store = calendarStore(tx)
      if (needCalendar && !(await store.calendar(providerId))) throw new NotFound('Calendar')
      const r = await fn(store)
      await appendAudit(tx, auditFrom(c, { action, outcome: 'success', targetType: 'provider-calendar', targetId: providerId }))
      return r
    })
  }

  f.get('/providers/:providerId/calendar', {
    config: { access }, schema: { tags, params: ProviderParams, response: { 200: CalendarView, ...errors(403, 404) } }
  }, async (req) => {
    const c = actionContext(req)
    assertManages(c, req.params.providerId)
    const store = calendarStore(d.db)
    const cal = await store.calendar(req.params.providerId)
    if (!cal) throw new NotFound('Calendar')
    const [types, rules, exceptions] = await Promise.all([
      store.visitTypes([cal.providerId], { activeOnly: false }),
      store.rules([cal.providerId]),
      store.exceptions([cal.providerId], new Date(d.now() - 86_400_000), new Date(d.now() + 800 * 86_400_000))
    ])
    return {
      ...cal,
      visitTypes: types.map(visitTypeOut),
      rules: rules.map(({ providerId: _p, ...r }) => r),
      exceptions: exceptions.map((e) => ({ id: e.id, kind: e.kind, startsAt: iso(e.startsAt), endsAt: iso(e.endsAt) }))
    }
  })

  f.put('/providers/:providerId/calendar', {
    config: { access }, schema: { tags, params: ProviderParams, body: CalendarBody, response: { 204: NoContent, ...errors(403, 422) } }
  }, async (req, reply) => {
    const c = actionContext(req)
    const { providerId } = req.params
    if (!isValidZone(req.body.timeZone)) throw new Unprocessable('timeZone is not a known IANA time zone')
    assertManages(c, providerId)
    if (!(await d.isProviderVerified(providerId))) throw new Unprocessable('Not a verified, active provider account')
    await write(c, providerId, 'calendar.update', (s) => s.upsertCalendar({
      providerId, timeZone: req.body.timeZone, specialty: req.body.specialty,
      minNoticeMinutes: req.body.minNoticeMinutes ?? d.settings.defaultMinNotice,
      maxAdvanceDays: req.body.maxAdvanceDays ?? d.settings.defaultMaxAdvance
    }), false)
    return reply.code(204).send(null)
  })

  f.post('/providers/:providerId/visit-types', {
    config: { access }, schema: { tags, params: ProviderParams, body: VisitTypeBody, response: { 201: VisitTypeSchema, ...errors(403, 404, 409) } }
  }, async (req, reply) => {
    const b = req.body
    const vt = await write(actionContext(req), req.params.providerId, 'calendar.visit-type.create', (s) => s.insertVisitType({
      providerId: req.params.providerId, code: b.code, name: b.name, durationMinutes: b.durationMinutes,
      bufferBeforeMinutes: b.bufferBeforeMinutes ?? 0, bufferAfterMinutes: b.bufferAfterMinutes ?? 0
    }))
    if (!vt) throw new Conflict(`A visit type with code '${b.code}' already exists`)
    return reply.code(201).send(visitTypeOut(vt))
  })

  f.patch('/providers/:providerId/visit-types/:id', {
    config: { access }, schema: { tags, params: ProviderItemParams, body: VisitTypePatch, response: { 200: VisitTypeSchema, ...errors(403, 404) } }
  }, async (req) => {
    const vt = await write(actionContext(req), req.params.providerId, 'calendar.visit-type.update',
      (s) => s.setVisitTypeActive(req.params.providerId, req.params.id, req.body.active))
    if (!vt) throw new NotFound('Visit type')
    return visitTypeOut(vt)
  })

  f.post('/providers/:providerId/availability-rules', {
    config: { access }, schema: { tags, params: ProviderParams, body: RuleBody, response: { 201: Rule, ...errors(403, 404, 422) } }
  }, async (req, reply) => {
    const b = req.body
    if (b.endTime <= b.startTime) throw new Unprocessable('endTime must be after startTime (rules cannot cross midnight; add two)')
    if (b.validFrom && b.validUntil && b.validUntil < b.validFrom) throw new Unprocessable('validUntil is before validFrom')
    const rule = await write(actionContext(req), req.params.providerId, 'calendar.rule.create', async (s) => {
      if (b.visitTypeId) {
        const vt = await s.visitType(b.visitTypeId)
        if (!vt || vt.providerId !== req.params.providerId) throw new Unprocessable('visitTypeId is not a visit type of this provider')
      }
      return s.insertRule(req.params.providerId, {
        weekday: b.weekday, startTime: b.startTime, endTime: b.endTime,
        validFrom: b.validFrom ?? null, validUntil: b.validUntil ?? null, visitTypeId: b.visitTypeId ?? null
      })
    })
    return reply.code(201).send(rule)
  })

  f.delete('/providers/:providerId/availability-rules/:id', {
    config: { access }, schema: { tags, params: ProviderItemParams, response: { 204: NoContent, ...errors(403, 404) } }
  }, async (req, reply) => {
    const ok = await write(actionContext(req), req.params.providerId, 'calendar.rule.delete', (s) => s.deleteRule(req.params.providerId, req.params.id))
    if (!ok) throw new NotFound('Availability rule')
    return reply.code(204).send(null)
  })

  f.post('/providers/:providerId/exceptions', {
    config: { access }, schema: { tags, params: ProviderParams, body: ExceptionBody, response: { 201: ScheduleException, ...errors(403, 404, 422) } }
  }, async (req, reply) => {
    const startsAt = new Date(req.body.startsAt)
    const endsAt = new Date(req.body.endsAt)
    if (!(endsAt > startsAt)) throw new Unprocessable('endsAt must be after startsAt')
    const e = await write(actionContext(req), req.params.providerId, 'calendar.exception.create',
      (s) => s.insertException(req.params.providerId, { kind: req.body.kind, startsAt, endsAt }))
    // Leave does not cancel visits by itself: whoever adds it is told how many to move.
    const overlapping = (await calendarStore(d.db).busy([req.params.providerId], startsAt, endsAt)).length
    return reply.code(201).send({ id: e.id, kind: e.kind, startsAt: iso(e.startsAt), endsAt: iso(e.endsAt), overlappingVisits: overlapping })
  })

  f.delete('/providers/:providerId/exceptions/:id', {
    config: { access }, schema: { tags, params: ProviderItemParams, response: { 204: NoContent, ...errors(403, 404) } }
  }, async (req, reply) => {
    const ok = await write(actionContext(req), req.params.providerId, 'calendar.exception.delete', (s) => s.deleteException(req.params.providerId, req.params.id))
    if (!ok) throw new NotFound('Exception')
    return reply.code(204).send(null)
  })
}

