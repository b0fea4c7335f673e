// POST /v1/admin/runs: the admin starts a run for a caller, as the browser console does. A webhook
// caller proves itself with a signature the browser cannot make; here the admin token stands in for
// it, and from there the request takes exactly the webhook's path (src/hooks/dispatch.ts):
// idempotency, the caller's rate limit, command parsing and policy, built-ins and confirmations,
// admission. Every audit record it leads to says `via: "console"`, the run's `accepted` record too.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Gateway } from '../gateway.ts'
import type { AuditEntry } from '../audit/audit-log.ts'
import { bearerFrom } from '../auth/bearer.ts'
import { NotFoundError, OverloadedError, RateLimitedError, UnauthorizedError } from '../errors.ts'
import { dispatch } from '../hooks/dispatch.ts'
import type { RequestLimits } from '../hooks/request-limits.ts'
import { AdminRunBodySchema, ErrorSchema, NoticeSchema } from '../schemas/http.ts'
import { RunSchema } from '../schemas/run.ts'

export interface AdminRunsRouteOptions {
  gateway: Gateway
  limits: RequestLimits
}

const VIA = 'console'

const adminRunsRoute: FastifyPluginAsyncTypebox<AdminRunsRouteOptions> = async (app, { gateway, limits }) => {
  const audit = gateway.deps.audit

  // As for webhooks: nothing is answered that the audit log could not record (fail closed).
  const record = (entry: AuditEntry): void => {
    try {
      audit.append({ ...entry, via: VIA })
    } catch {
      throw Object.assign(new OverloadedError('The gateway cannot write its audit log right now'), { retryAfter: 5 })
    }
  }

  const refuse = (request: FastifyRequest, caller: string | null, reason: string, error: Error): never => {
    record({ event: 'rejected', caller, reason, ip: request.ip })
    throw error
  }

  app.post('/v1/admin/runs', {
    schema: {
      tags: ['runs'],
      summary: 'Start a run for a caller (admin token only)',
      description: 'What the browser console\'s "New run" does: the text goes through the same steps as a verified webhook request of that caller (idempotency, the caller\'s `rate_limit`, commands, policy, built-ins, confirmations, admission) and the audit log marks each record with `via: "console"`. ' +
        'Answers `202` at once with the run object and its token (follow `links`), `200` with the original run (header `Hookgate-Replayed: true`) when `id` repeats, or `200` with a notice for a built-in or a confirmation request. An unknown caller is `404`. The per-address limit (`limits.per_address`) applies before the token is checked.',
      body: AdminRunBodySchema,
      security: [{ adminToken: [] }],
      response: {
        200: Type.Union([RunSchema, NoticeSchema], { description: 'The original run of a repeated `id`, or the answer of a built-in command or a confirmation request (no run started)' }),
        202: { ...RunSchema, description: 'The run was accepted; `token` controls it, `links` follow it' },
        400: ErrorSchema,
        401: ErrorSchema,
        403: ErrorSchema,
        404: ErrorSchema,
        429: ErrorSchema,
        503: ErrorSchema
      }
    },
    // Before the body is read: a request without the admin token learns nothing about the body's shape.
    onRequest: async (request) => {
      const guard = await limits.perAddress(request).catch(() => refuse(request, null, 'rate_limit_unavailable',
        Object.assign(new OverloadedError('The rate limit cannot be checked right now'), { retryAfter: 5 })))
      if (!guard.isAllowed && guard.isExceeded) {
        refuse(request, null, 'address_rate_limited', Object.assign(new RateLimitedError(guard.ttlInSeconds), { retryAfter: guard.ttlInSeconds }))
      }
      if (!gateway.admin.matches(bearerFrom(request, false))) refuse(request, null, 'admin_token', new UnauthorizedError())
    }
  }, async (request, reply) => {
    const { caller, text, user, thread, id } = request.body
    if (!Object.hasOwn(gateway.config.callers, caller)) {
      return refuse(request, caller, 'unknown_caller', new NotFoundError(`No caller ${caller} in the configuration`))
    }
    const callerConfig = gateway.config.callers[caller]!
    record({ event: 'request', caller, ip: request.ip })
    const outcome = await dispatch(gateway, {
      caller,
      user: user ?? null,
      thread: thread ?? null,
      text,
      keys: id !== undefined ? [`id:${caller}:${id}`] : [],
      deliveries: gateway.deliveries.channelsFor(callerConfig, false),
      ip: request.ip,
      via: VIA
    }, {
      record,
      limit: async () => {
        const limiter = limits.perCaller(caller)
        if (limiter === undefined) return null
        const answer = await limiter(request).catch(() => refuse(request, caller, 'rate_limit_unavailable',
          Object.assign(new OverloadedError('The rate limit cannot be checked right now'), { retryAfter: 5 })))
        return !answer.isAllowed && answer.isExceeded ? answer.ttlInSeconds : null
      },
      // hookgate_requests_total counts webhook requests; a console run shows in the run metrics.
      count: () => {}
    })
    switch (outcome.kind) {
      case 'refused':
        throw outcome.error
      case 'notice':
        return reply.code(200).send(outcome.notice)
      case 'replayed':
        return reply.code(200).header('hookgate-replayed', 'true').send(outcome.run.snapshot())
      case 'accepted': {
        const run = outcome.run.snapshot()
        return reply.code(202).header('location', run.links.self).send({ ...run, token: outcome.token })
      }
    }
  })
}

export default adminRunsRoute
