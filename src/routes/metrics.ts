// GET /metrics: this gateway's Prometheus metrics (docs/metrics.md). Always registered, so the
// OpenAPI document never depends on the config; `metrics.enabled: false` answers exactly like a path
// that does not exist, and `metrics.token` guards it like the admin token guards runs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Gateway } from '../gateway.ts'
import { AdminToken, bearerFrom } from '../auth/bearer.ts'
import { NotFoundError, UnauthorizedError } from '../errors.ts'
import { ErrorSchema } from '../schemas/http.ts'

const metricsRoute: FastifyPluginAsyncTypebox<{ gateway: Gateway }> = async (app, { gateway }) => {
  const { enabled, token } = gateway.config.metrics
  // The same constant-time comparison (over hashes) as the admin token's.
  const expected = token === undefined ? null : new AdminToken(token)

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics',
      description: 'The Prometheus text exposition format (version 0.0.4). With `metrics.token` set, needs `Authorization: Bearer <token>`; with `metrics.enabled: false`, answers 404.',
      response: {
        200: {
          description: 'Every metric of this gateway process',
          content: { 'text/plain': { schema: Type.String({ description: 'Prometheus text exposition format' }) } }
        },
        401: ErrorSchema,
        404: ErrorSchema,
        // While the gateway shuts down, like every route but the health checks.
        503: ErrorSchema
      }
    }
  }, async (request, reply) => {
    if (!enabled) throw new NotFoundError(`No route GET ${request.url.split('?')[0]}`)
    if (expected !== null && !expected.matches(bearerFrom(request, false))) throw new UnauthorizedError()
    const text = await gateway.metrics.text()
    return reply.header('content-type', gateway.metrics.contentType).header('cache-control', 'no-store').send(text)
  })
}

export default metricsRoute
