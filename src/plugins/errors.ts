// One error handler for the whole app: Fastify's own errors are mapped to hookgate codes, 5xx
// messages are replaced by a generic one (they may carry internals), and 429/503 carry Retry-After.
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BadRequestError, NotFoundError, PayloadTooLargeError } from '../errors.ts'

interface Mapped { statusCode: number, code: string, message: string }

export function toHookgateError (err: FastifyError, bodyLimit: number): Mapped {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const e = new PayloadTooLargeError(bodyLimit)
    return { statusCode: 413, code: e.code, message: e.message }
  }
  if (err.code === 'FST_ERR_VALIDATION' || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ||
      err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' ||
      (err.statusCode === 400 && !err.code?.startsWith('HOOKGATE_'))) {
    const e = new BadRequestError(err.validation !== undefined ? `invalid request: ${err.message}` : err.message)
    return { statusCode: 400, code: e.code, message: e.message }
  }
  const statusCode = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500
  if (statusCode >= 500 && statusCode !== 503) {
    return { statusCode, code: 'HOOKGATE_INTERNAL', message: 'Internal error; see the gateway log' }
  }
  return { statusCode, code: err.code?.startsWith('HOOKGATE_') ? err.code : `HOOKGATE_${statusCode === 404 ? 'NOT_FOUND' : 'BAD_REQUEST'}`, message: err.message }
}

async function errorsPlugin (app: FastifyInstance, opts: { bodyLimit: number }): Promise<void> {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const mapped = toHookgateError(err, opts.bodyLimit)
    if (mapped.statusCode >= 500 && mapped.statusCode !== 503) request.log.error({ err }, 'request failed')
    const retryAfter = (err as { retryAfter?: number }).retryAfter
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter))
    void reply.code(mapped.statusCode).send({
      statusCode: mapped.statusCode,
      code: mapped.code,
      error: httpStatusText(mapped.statusCode),
      message: mapped.message
    })
  })
  const notFound = (request: FastifyRequest, reply: FastifyReply): void => {
    const e = new NotFoundError(`No route ${request.method} ${request.url.split('?')[0]}`)
    void reply.code(404).send({ statusCode: 404, code: e.code, error: 'Not Found', message: e.message })
  }
  app.setNotFoundHandler(notFound)
  // Answered at once: Fastify would otherwise read the body (up to the body limit) before the 404
  // handler runs, only to drop it. The answer then closes the connection (unread-body-close.ts).
  app.addHook('onRequest', (request, reply, done) => {
    if (request.is404) notFound(request, reply)
    else done()
  })
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable'
}

export function httpStatusText (code: number): string {
  return STATUS_TEXT[code] ?? 'Error'
}

export default fp(errorsPlugin, { name: 'hookgate-errors' })
