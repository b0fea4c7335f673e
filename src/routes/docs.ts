// GET /openapi.json: the generated document, identical to openapi/openapi.json in the repository.
import type { FastifyInstance } from 'fastify'

export default async function docsRoute (app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
