import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { BadRequest } from '../../core/errors.js'
import type { SchedulerDeps } from '../context.js'
import { SlotPage, SlotQuery, errors } from '../schemas.js'
import { decodeCursor } from '../slot-search.js'

export default async function slotRoutes (fastify: FastifyInstance, d: SchedulerDeps) {
  const f = fastify.withTypeProvider<TypeBoxTypeProvider>()

  // Free times say nothing about patients, but by default searching still needs
  // an account (no anonymous scraping of calendars); an operator may open it.
  f.get('/slots', {
    config: { access: d.settings.publicSlotSearch ? 'public' : { roles: ['patient', 'provider', 'staff'] } },
    schema: {
      tags: ['Scheduling: slots'],
      description: 'Free slots by provider, specialty, visit type and time range; times in UTC with the provider\'s zone. Paginate with nextCursor.',
      querystring: SlotQuery, response: { 200: SlotPage, ...errors(400) }
    }
  }, async (req, reply) => {
    const q = req.query
    const from = Date.parse(q.from)
    const to = Date.parse(q.to)
    if (!(to > from)) throw new BadRequest('to must be after from')
    if (to - from > d.settings.searchMaxDays * 86_400_000) throw new BadRequest(`A search may cover at most ${d.settings.searchMaxDays} days`)
    if (q.cursor && !decodeCursor(q.cursor)) throw new BadRequest('cursor is not valid')
    const body = await d.slots.searchRendered({
      providerId: q.providerId, specialty: q.specialty, visitType: q.visitType, visitTypeId: q.visitTypeId,
      from, to, limit: q.limit ?? 50, cursor: q.cursor
    }, (page) => reply.serialize(page) as string)
    // Already rendered by this route's own response schema (reply.serialize):
    // JSON bytes are sent as they are, so the cast only tells the type provider so.
    return reply.type('application/json; charset=utf-8').send(body as unknown as Static<typeof SlotPage>)
  })
}
