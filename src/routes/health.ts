// Liveness and readiness: no authentication, no rate limit, nothing that can block.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Gateway } from '../gateway.ts'
import { HealthSchema } from '../schemas/http.ts'

const healthRoute: FastifyPluginAsyncTypebox<{ gateway: Gateway }> = async (app, { gateway }) => {
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: HealthSchema } }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    schema: {
      tags: ['operations'],
      summary: 'The gateway accepts work',
      description: '503 while draining for shutdown.',
      response: { 200: HealthSchema, 503: HealthSchema }
    }
  }, async (_request, reply) => gateway.registry.draining
    ? reply.code(503).header('retry-after', '10').send({ status: 'draining' })
    : { status: 'ready' })
}

export default healthRoute
