import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { helmetHeaders } from './security-headers.js'

/** Security headers, closed CORS and per-IP rate limits (in Redis when there is one, so all API processes share counts). */
export default fp(async function security (f: FastifyInstance) {
  const { server } = f.config
  const headers = helmetHeaders({
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'", server.publicUrl.replace(/^http/, 'ws')],
        frameAncestors: ["'none'"],
        formAction: ["'self'"]
      }
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false
  })
  // API answers carry PHI: no browser or proxy may keep them. A route whose
  // answer may be cached (the web app's pages and assets) sets its own.
  const defaults = { ...headers, 'cache-control': 'no-store' }
  // On every response, errors and 404s included.
  f.addHook('onRequest', (_req, reply, done) => { reply.headers(defaults); done() })
  await f.register(cors, { origin: server.corsOrigins.length > 0 ? server.corsOrigins : false, credentials: false })
  await f.register(rateLimit, {
    max: server.rateLimitMax,
    timeWindow: server.rateLimitWindow * 1000,
    // The limit is told with a 429 (with Retry-After), not on every response:
    // three fewer headers per request, and less for a prober to read.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    ...(f.redis ? { redis: f.redis, nameSpace: 'bedside:rl:' } : {}),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429, error: 'Too Many Requests', message: `Rate limit exceeded, retry in ${Math.ceil(ctx.ttl / 1000)} s`
    })
  })
}, { name: 'security', dependencies: ['services'] })
