import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** OpenAPI built from the route schemas, served at /docs. */
export default fp(async function docs (f: FastifyInstance) {
  await f.register(swagger, {
    openapi: {
      info: { title: 'Bedside API', version: '0.1.0', description: 'Self-hosted telemedicine: accounts, scheduling, visits.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } }
    }
  })
  await f.register(async function publicDocs (child) {
    // The API description is public, like any published API reference.
    child.addHook('onRoute', (route) => { route.config = { ...route.config, access: 'public' } })
    await child.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } })
  })
}, { name: 'docs' })
