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
      description: '503 while draining for shutdown, or while the store or the audit log cannot be written (new runs are refused then).',
      response: { 200: HealthSchema, 503: HealthSchema }
    }
  }, async (_request, reply) => {
    const notReady = (status: string) => reply.code(503).header('retry-after', '10').send({ status })
    if (gateway.registry.draining) return notReady('draining')
    try {
      await gateway.registry.store.probe()
    } catch {
      return notReady('store unavailable')
    }
    // probe() rather than healthy(): it also retries, so readiness comes back as soon as the fault clears.
    const audit = gateway.deps.audit as typeof gateway.deps.audit & { probe?: () => boolean }
    if ((audit.probe?.() ?? audit.healthy?.() ?? true) === false) return notReady('audit log unavailable')
    return { status: 'ready' }
  })
}

export default healthRoute
