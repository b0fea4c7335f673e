// /v1/runs: read, follow, cancel and steer runs, and answer their permission requests. Authorised by the run's own token or the admin token;
// anything else is 401, and a run the caller may not see is indistinguishable from a missing one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Gateway } from '../gateway.ts'
import { accessTo, bearerFrom } from '../auth/bearer.ts'
import { ConflictError, NotFoundError, OverloadedError, UnauthorizedError } from '../errors.ts'
import { ErrorSchema, PermissionAnswerSchema, PermissionParamsSchema, PermissionResultSchema, RunQuerySchema, RunEventsQuerySchema, RunListQuerySchema, RunListSchema, RunParamsSchema, SteerBodySchema, SteerResultSchema } from '../schemas/http.ts'
import { RunSchema, RunStatus } from '../schemas/run.ts'
import { openEventStream, streamRun, type SseOptions } from '../sse/sse-stream.ts'
import type { RunState } from '../runs/run-state.ts'
import { steerRun } from '../runs/steer-run.ts'

export interface RunsRouteOptions {
  gateway: Gateway
  sse: SseOptions
}

const security: Array<Record<string, string[]>> = [{ runToken: [] }, { adminToken: [] }]
/** A final run's JSON this long is answered as bytes (see GET /v1/runs/:id). */
const LONG_JSON_CHARS = 64 * 1024

const runsRoute: FastifyPluginAsyncTypebox<RunsRouteOptions> = async (app, { gateway, sse }) => {
  const clients = new Map<string, number>()

  /**
   * `read`: GET routes, where a run link's token also counts; `control`: the run's token or the admin's.
   * `query`: which tokens `?token=` may carry — any (the event stream: browsers' EventSource cannot set
   * headers), only run links (they are URLs by nature), or none (tokens stay out of URLs and logs).
   */
  const authorise = async (request: FastifyRequest, id: string, need: 'read' | 'control', query: 'any' | 'links' | 'none' = 'none'): Promise<RunState> => {
    const run = await gateway.registry.get(id).catch((error: unknown) => {
      throw Object.assign(new OverloadedError(`store unavailable: ${(error as Error).message}`), { retryAfter: 5 })
    })
    const fromHeader = bearerFrom(request, false)
    const token = fromHeader ?? (query === 'none' ? null : bearerFrom(request, true))
    const access = accessTo(run, token, gateway.admin, gateway.links)
    const viaQuery = fromHeader === null && token !== null
    if (access === 'none' || (need === 'control' && access === 'read') || (viaQuery && query === 'links' && access !== 'read')) {
      throw new UnauthorizedError()
    }
    if (run === null) throw new NotFoundError(`No run ${id}`)
    return run
  }

  app.get('/v1/runs/:id', {
    schema: {
      tags: ['runs'],
      summary: 'Get a run',
      params: RunParamsSchema,
      querystring: RunQuerySchema,
      security,
      response: { 200: RunSchema, 401: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema }
    }
  }, async (request, reply) => {
    const run = await authorise(request, request.params.id, 'read', 'links')
    // A final run is answered with the JSON made for its result event and stored row: serialising a
    // 10 MiB answer again cost 35 ms of the event loop and 30 MiB per request.
    const json = run.finalJson()
    if (json === null) return run.snapshot()
    // A string with a JSON content type is sent as it is; the route's typed reply only takes a Run. A
    // long one goes as bytes: Node's HTTP layer puts the header in front of a string body, which
    // copied a 10 MiB answer into one more string per request.
    return await (reply as FastifyReply).type('application/json; charset=utf-8').send(json.length >= LONG_JSON_CHARS ? Buffer.from(json) : json)
  })

  app.get('/v1/runs/:id/events', {
    // A HEAD would open a stream that never sends a body.
    exposeHeadRoute: false,
    schema: {
      tags: ['runs'],
      summary: 'Follow a run as Server-Sent Events',
      description: 'Replays the run\'s events from the start, or after `Last-Event-ID`, then follows it live and closes after `result`. ' +
        'Events: run, session, text, tool_start, tool_end, log, permission, result (and reset when the asked-for events are no longer kept). ' +
        'A `: ping` comment is sent at least every 15 s while idle. `?token=` is accepted because browsers\' EventSource cannot set headers.',
      params: RunParamsSchema,
      querystring: RunEventsQuerySchema,
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ description: 'Seq of the last event received; the stream resumes after it' })) }),
      security,
      produces: ['text/event-stream'],
      response: {
        200: Type.String({ description: 'text/event-stream: `id: <seq>`, `event: <name>`, `data: <JSON>` per event' }),
        401: ErrorSchema,
        404: ErrorSchema,
        503: ErrorSchema
      }
    }
  }, async (request, reply) => {
    const run = await authorise(request, request.params.id, 'read', 'any')
    const header = request.headers['last-event-id']
    const fromHeader = typeof header === 'string' && /^[0-9]{1,15}$/.test(header) ? Number(header) : undefined
    const after = fromHeader ?? request.query.lastEventId ?? 0
    const count = clients.get(run.id) ?? 0
    if (count >= gateway.config.limits.sse_clients_per_run) {
      throw Object.assign(new OverloadedError('too many clients follow this run'), { retryAfter: 5 })
    }
    clients.set(run.id, count + 1)
    reply.hijack()
    openEventStream(reply.raw)
    try {
      await gateway.streams.track(streamRun(reply.raw, gateway.registry.eventSource(run), after, sse))
    } finally {
      const left = (clients.get(run.id) ?? 1) - 1
      if (left === 0) clients.delete(run.id)
      else clients.set(run.id, left)
    }
    return reply
  })

  app.post('/v1/runs/:id/cancel', {
    schema: {
      tags: ['runs'],
      summary: 'Cancel a run',
      description: 'Stops the agent\'s whole process tree (SIGTERM, then SIGKILL after the grace period); the run ends `cancelled`.',
      params: RunParamsSchema,
      security,
      response: { 202: RunSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema }
    }
  }, async (request, reply) => {
    const run = await authorise(request, request.params.id, 'control')
    const access = accessTo(run, bearerFrom(request, false), gateway.admin)
    const cancelled = await gateway.cancelRun(run, `cancelled through the API by ${access === 'admin' ? 'the admin' : 'the run token holder'}`).catch((error: unknown) => {
      throw Object.assign(new OverloadedError(`cannot cancel now: ${(error as Error).message}`), { retryAfter: 2 })
    })
    if (!cancelled) throw new ConflictError(`Run ${run.id} has already finished (${run.status})`)
    return reply.code(202).send(run.snapshot())
  })

  app.post('/v1/runs/:id/messages', {
    schema: {
      tags: ['runs'],
      summary: 'Steer a run',
      description: 'Sends a user message into the running agent session (`delivered: live`); when the agent cannot take messages now (it is queued, or its profile reads no input while it runs) the message becomes the next turn of the conversation (`delivered: queued`, a new run with its own token). 409 once the run has finished. The text passes the same policy as every request.',
      params: RunParamsSchema,
      body: SteerBodySchema,
      security,
      response: { 202: SteerResultSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema }
    }
  }, async (request, reply) => {
    const run = await authorise(request, request.params.id, 'control')
    return reply.code(202).send(await steerRun(gateway, run, request.body.text))
  })

  app.post('/v1/runs/:id/permissions/:pid', {
    schema: {
      tags: ['runs'],
      summary: 'Answer a permission request',
      description: 'Allows or denies the tool call the agent asked about in a `permission` event. The first answer wins: a second one, or one after `expires_at` (when the request was already denied), gets 409.',
      params: PermissionParamsSchema,
      body: PermissionAnswerSchema,
      security,
      response: { 200: PermissionResultSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema }
    }
  }, async (request) => {
    const run = await authorise(request, request.params.id, 'control')
    const { decision, message } = request.body
    const result = await gateway.answerPermission(request.params.pid.toLowerCase(), { allow: decision === 'allow', ...(message !== undefined ? { message } : {}) }, { via: 'http', runId: run.id })
    switch (result.kind) {
      case 'decided':
        return { pid: result.pending.pid, run: run.id, tool: result.pending.tool, decision }
      case 'already':
        throw new ConflictError(`Permission request ${result.pending.pid} can no longer be answered: ${result.decision.via === 'timeout' ? 'it expired and was denied' : result.decision.via === 'run ended' ? 'the run ended' : `it was already ${result.decision.allow ? 'allowed' : 'denied'}`}`)
      default:
        throw new NotFoundError(`No permission request ${request.params.pid} in run ${run.id}`)
    }
  })

  app.get('/v1/runs', {
    schema: {
      tags: ['runs'],
      summary: 'List runs (admin token only)',
      querystring: RunListQuerySchema,
      security: [{ adminToken: [] }],
      response: { 200: RunListSchema, 400: ErrorSchema, 401: ErrorSchema, 503: ErrorSchema }
    }
  }, async (request) => {
    if (!gateway.admin.matches(bearerFrom(request, false))) throw new UnauthorizedError()
    const { caller, status, limit, before } = request.query
    if (status !== undefined && !RunStatus.anyOf.some((s) => s.const === status)) {
      throw Object.assign(new Error(`status must be one of ${RunStatus.anyOf.map((s) => s.const).join(', ')}`), { statusCode: 400 })
    }
    return { runs: await gateway.registry.list({ caller, status: status as RunStatus | undefined, limit: limit ?? 50, before }) }
  })
}

export default runsRoute
