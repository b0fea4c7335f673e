// POST /v1/admin/reload: the config read again and applied without a restart (like SIGHUP), for the
// admin token only. A config that does not load, or that changes what only a restart can, is
// refused with its problems and the running one stays.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Gateway } from '../gateway.ts'
import { bearerFrom } from '../auth/bearer.ts'
import { BadRequestError, ConflictError, UnauthorizedError } from '../errors.ts'
import { ErrorSchema, ReloadResultSchema } from '../schemas/http.ts'
import { reloadConfig } from '../config/reload.ts'

const adminRoute: FastifyPluginAsyncTypebox<{ gateway: Gateway }> = async (app, { gateway }) => {
  app.post('/v1/admin/reload', {
    schema: {
      tags: ['operations'],
      summary: 'Reload the config (admin token only)',
      description: 'Reads the config file again, as SIGHUP does. A valid config takes effect at once for new requests and runs (runs already executing keep theirs); one with problems, or one that changes a key only a restart can change (server.host, server.port, store, state_dir, execution, redis, limits.body_bytes, …), is refused with 400 and the running config stays.',
      security: [{ adminToken: [] }],
      response: { 200: ReloadResultSchema, 400: ErrorSchema, 401: ErrorSchema, 409: ErrorSchema }
    }
  }, async (request) => {
    if (!gateway.admin.matches(bearerFrom(request, false))) throw new UnauthorizedError()
    if (gateway.deps.readConfig === undefined || gateway.config.source === null) {
      throw new ConflictError('This gateway runs the built-in quick-start config: there is no file to reload')
    }
    const outcome = reloadConfig(gateway, gateway.deps.readConfig, request.log)
    if (outcome.status === 'refused') throw new BadRequestError(`config not reloaded: ${outcome.problems.join('; ')}`)
    return { status: 'reloaded' as const, source: outcome.source ?? '', warnings: outcome.warnings }
  })
}

export default adminRoute
