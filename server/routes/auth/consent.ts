import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { ANY_ROLE } from '../../../core/access.js'
import { Conflict } from '../../../core/errors.js'
import { ROLES, type Role } from '../../../core/roles.js'
import { accept, currentDocuments, publish } from '../../auth/consent.js'
import type { AuthContext } from './context.js'
import { AcceptConsent, ConsentDocuments, KindParams, NoQuery, Publish, Published } from './schemas.js'

// Reading and accepting the documents is what a user without consent must still be able to do.
const readable = { roles: ANY_ROLE, mfa: false, consent: false } as const

/** Versioned terms, privacy notice and telehealth consent: read, accept, publish. */
export default async function consent (fp: FastifyInstance, _ctx: AuthContext) {
  const f = fp.withTypeProvider<TypeBoxTypeProvider>()

  f.get('/consent', { config: { access: readable }, schema: { querystring: NoQuery, tags: ['Consent'], response: { 200: ConsentDocuments } } }, async (req) => {
    const docs = await currentDocuments(f.db, req.user!.id, req.user!.role)
    return { documents: docs.map((d) => ({ ...d, publishedAt: d.publishedAt.toISOString() })) }
  })

  f.post('/consent/accept', { config: { access: readable }, schema: { querystring: NoQuery, tags: ['Consent'], body: AcceptConsent } }, async (req, reply) => {
    const me = req.user!
    const result = await f.db.transaction(async (tx) => {
      const r = await accept(tx, me.id, me.role, req.body.kind, req.body.version)
      if (r === 'accepted') {
        await req.audit({ action: 'consent.accept', outcome: 'success', targetType: 'consent', targetId: `${req.body.kind}:${req.body.version}`, details: { kind: req.body.kind, version: req.body.version } }, tx)
      }
      return r
    })
    if (result === 'not-current') throw new Conflict('That is not the current version of the document; read the current one first')
    return reply.code(204).send()
  })

  f.post('/admin/consent/:kind', {
    config: { access: { roles: ['admin'] } },
    schema: { querystring: NoQuery, tags: ['Consent'], params: KindParams, body: Publish, response: { 201: Published } }
  }, async (req, reply) => {
    const { kind } = req.params
    const roles: Role[] = req.body.roles ?? (kind === 'telehealth-consent' ? ['patient'] : [...ROLES])
    const version = await f.db.transaction(async (tx) => {
      const v = await publish(tx, { kind, title: req.body.title, body: req.body.body, roles, by: req.user!.id })
      await req.audit({ action: 'consent.publish', outcome: 'success', targetType: 'consent', targetId: `${kind}:${v}`, details: { kind, version: v, roles } }, tx)
      return v
    })
    return reply.code(201).send({ kind, version })
  })
}
