import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { STATUS_CODES } from 'node:http'

export interface ErrorBody { statusCode: number; error: string; message: string; code?: string }

function reply4xx (statusCode: number, message: string, code?: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(code ? { code } : {}) }
}

/**
 * Every failure leaves as { statusCode, error, message }. A 5xx never shows
 * its cause (only the request id to quote to IT), and no message echoes what
 * the client sent: JSON.parse quotes the body, so its text is replaced.
 */
export default fp(async function errors (f: FastifyInstance) {
  f.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500
    if (err.validation) {
      return reply.code(400).send(reply4xx(400, `${err.validationContext ?? 'request'}${err.message.replace(/^[a-z]+/, '')}`, 'BDS_ERR_VALIDATION'))
    }
    if (status >= 400 && status < 500) {
      const message = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? 'Body is not valid JSON'
        : err.message
      const headers = (err as { headers?: Record<string, string> }).headers
      if (headers) reply.headers(headers)
      return reply.code(status).send(reply4xx(status, message, err.code))
    }
    req.log.error({ err }, 'request failed')
    return reply.code(500).send({
      statusCode: 500, error: 'Internal Server Error', message: `Something went wrong. Quote request id ${req.id} to your IT team.`
    })
  })
  f.setNotFoundHandler((req, reply) => {
    reply.code(404).send(reply4xx(404, `Route ${req.method} ${req.url.split('?')[0]} not found`, 'BDS_ERR_ROUTE_NOT_FOUND'))
  })
}, { name: 'errors' })
