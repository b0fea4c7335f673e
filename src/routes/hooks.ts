// POST /v1/hooks/{caller}: the one webhook endpoint. Encapsulated so its raw-body parser and its
// verification hook apply to nothing else. Order, per request:
//   onRequest      per-address flood guard, audit `request`, unknown caller → 401
//   parsing        raw bytes only (body limit enforced while streaming → 413)
//   preValidation  verify the signature over the raw bytes → 401; only then parse JSON
//   validation     the body schema → 400
//   handler        replay check → per-caller limit → policy → built-in, confirmation or run
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import secureJson from 'secure-json-parse'
import type { Gateway } from '../gateway.ts'
import type { AuditEntry } from '../audit/audit-log.ts'
import { BadRequestError, OverloadedError, RateLimitedError, UnauthorizedError } from '../errors.ts'
import { ErrorSchema, NoticeSchema, PlatformPayloadSchema, WebhookBodySchema, WebhookParamsSchema, WebhookQuerySchema, type WebhookBody } from '../schemas/http.ts'
import { RunSchema } from '../schemas/run.ts'
import { answerRun } from '../hooks/answer.ts'
import { dispatch } from '../hooks/dispatch.ts'
import { answerPlatform } from '../hooks/platform-answer.ts'
import { isPlatformScheme } from '../platforms/adapter.ts'
import { SECURITY_SCHEME_NAMES } from '../plugins/openapi.ts'
import type { SseOptions } from '../sse/sse-stream.ts'
import type { RequestLimits } from '../hooks/request-limits.ts'
import { refusalOutcome, type RequestOutcome } from '../metrics/request-outcome.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Key derived from the verified signature that identifies this delivery, or null. */
    replayKey: string | null
    /** Set once the rejection of this request has been written to the audit log. */
    auditedRejection: boolean
    /** Set once an outcome beyond `verified` has been counted: an error after it is not counted again. */
    outcomeCounted: boolean
  }
}

export interface HooksRouteOptions {
  gateway: Gateway
  sse: SseOptions
  limits: RequestLimits
}

const webhookBody = Compile(WebhookBodySchema)

const SECURITY = SECURITY_SCHEME_NAMES.map((name) => ({ [name]: [] }))

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema, 429: ErrorSchema, 503: ErrorSchema }

const auditUnavailable = (): Error => Object.assign(new OverloadedError('The gateway cannot write its audit log right now'), { retryAfter: 5 })

const hooksRoute: FastifyPluginAsyncTypebox<HooksRouteOptions> = async (app, { gateway, sse, limits }) => {
  const { deps } = gateway
  // Read per request: a reload swaps the config between requests. The body limit is the exception:
  // it is built into the parser (a change needs a restart, reload-rules.ts).
  const bodyBytes = gateway.config.limits.body_bytes
  const audit = deps.audit

  app.decorateRequest('replayKey', null)
  app.decorateRequest('auditedRejection', false)
  app.decorateRequest('outcomeCounted', false)

  // Nothing is answered that the audit log could not record: a write fault becomes 503 (fail closed),
  // and the same request succeeds once the log is writable again.
  const record = (entry: AuditEntry): void => {
    try {
      audit.append(entry)
    } catch {
      throw auditUnavailable()
    }
  }
  // The request's own records wait for the end of the event-loop turn and go out with the others
  // of that turn in one write (AuditLog.appendGrouped); the answer still waits for that write.
  const recordSoon = async (entry: AuditEntry): Promise<void> => {
    try {
      await (audit.appendGrouped?.(entry) ?? audit.append(entry))
    } catch {
      throw auditUnavailable()
    }
  }

  // Metrics name a caller only when it is configured (the label's values are the config's ids).
  const count = (request: FastifyRequest, outcome: RequestOutcome): void => {
    const caller = (request.params as { caller?: string }).caller ?? ''
    const known = Object.hasOwn(gateway.config.callers, caller)
    if (outcome.outcome !== 'verified') request.outcomeCounted = true
    gateway.metrics.request({ caller: known ? caller : '', scheme: known ? gateway.config.callers[caller]!.scheme : '' }, outcome)
  }

  const reject = async (request: FastifyRequest, reason: string, error: Error): Promise<never> => {
    const caller = (request.params as { caller?: string }).caller
    request.auditedRejection = true
    await recordSoon({ event: 'rejected', caller: caller ?? null, reason, ip: request.ip })
    count(request, refusalOutcome(reason, error as { statusCode?: number, code?: string }))
    throw error
  }

  // Rejections raised by Fastify itself (body too large, schema validation) are audited here, and
  // every error no outcome was counted for (the audit log unwritable, say) is counted by its status.
  app.addHook('onError', async (request, _reply, error) => {
    const reason = (error as { code?: string }).code ?? 'error'
    if (!request.auditedRejection) {
      const caller = (request.params as { caller?: string }).caller
      request.auditedRejection = true
      try {
        audit.append({ event: 'rejected', caller: caller ?? null, reason, ip: request.ip })
      } catch {}
    }
    if (!request.outcomeCounted) count(request, refusalOutcome(reason, error))
  })

  // A shared limit that cannot be counted (Redis unreachable) refuses: fail closed, not unlimited
  // (with `rate_limit_fail_open` the plugin skips the count instead, and nothing throws here).
  const limited = async <T>(request: FastifyRequest, check: () => Promise<T>): Promise<T> => {
    try {
      return await check()
    } catch {
      return reject(request, 'rate_limit_unavailable', Object.assign(new OverloadedError('The rate limit cannot be checked right now'), { retryAfter: 5 }))
    }
  }

  // Verification needs the exact bytes, so nothing is parsed before it: every content type is read raw.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: bodyBytes }, (_req, body, done) => {
    done(null, body)
  })

  // The URL as the sender addressed it: Twilio signs it, so behind a proxy `server.public_url` must
  // say how the platform reaches us; without it, this request's own scheme and host.
  const signedUrl = (request: FastifyRequest): string => {
    const base = gateway.config.server.public_url ?? `${request.protocol}://${request.host}`
    return base.replace(/\/+$/, '') + request.raw.url
  }

  app.post('/v1/hooks/:caller', {
    bodyLimit: bodyBytes,
    schema: {
      tags: ['webhooks'],
      summary: 'Run the agent for a signed request',
      description: 'Verifies the caller\'s signature over the raw body, applies rate limits and the command policy, then runs the agent. ' +
        'Answers with the event stream (`Accept: text/event-stream`), 202 at once (`Prefer: respond-async`), or waits up to `limits.sync_wait` seconds.',
      params: WebhookParamsSchema,
      querystring: WebhookQuerySchema,
      body: Type.Union([WebhookBodySchema, PlatformPayloadSchema]),
      security: SECURITY,
      response: {
        200: Type.Union([RunSchema, NoticeSchema], { description: 'The finished run, or the answer of a built-in command or a confirmation request (no run started)' }),
        202: { ...RunSchema, description: 'The run was accepted and is still queued or running; follow `links`' },
        ...errors
      }
    },
    onRequest: async (request) => {
      const limit = await limited(request, () => limits.perAddress(request))
      if (!limit.isAllowed && limit.isExceeded) {
        request.auditedRejection = true
        await recordSoon({ event: 'rejected', caller: null, reason: 'address_rate_limited', ip: request.ip })
        const error = Object.assign(new RateLimitedError(limit.ttlInSeconds), { retryAfter: limit.ttlInSeconds })
        count(request, refusalOutcome('address_rate_limited', error))
        throw error
      }
      const { caller } = request.params as { caller: string }
      await recordSoon({ event: 'request', caller, ip: request.ip })
      if (!Object.hasOwn(gateway.config.callers, caller)) await reject(request, 'unknown_caller', new UnauthorizedError())
    },
    preValidation: async (request) => {
      const { caller } = request.params as { caller: string }
      // Looked up again (not kept from onRequest): a reload in between may have removed the caller.
      const callerConfig = gateway.config.callers[caller]
      const verifier = gateway.verifiers.get(caller)
      if (callerConfig === undefined || verifier === undefined) return reject(request, 'unknown_caller', new UnauthorizedError())
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const result = verifier.verify({
        rawBody,
        headers: request.headers,
        secrets: callerConfig.secrets,
        maxAge: callerConfig.max_age ?? 300,
        now: Math.floor(deps.now() / 1000),
        url: signedUrl(request)
      })
      if (!result.ok) return reject(request, result.reason, new UnauthorizedError())
      request.replayKey = result.replayKey
      count(request, { outcome: 'verified', reason: '' })
      // A platform's payload is read by its adapter, in the handler.
      if (isPlatformScheme(callerConfig.scheme)) return
      let body: unknown
      try {
        body = secureJson.parse(rawBody.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' })
      } catch {
        return reject(request, 'invalid_json', new BadRequestError('body is not valid JSON'))
      }
      // Checked strictly here: the app's schema validator coerces types for query strings, and a
      // body field of the wrong type must be refused, not converted.
      if (!webhookBody.Check(body)) {
        const first = webhookBody.Errors(body)[0]
        return reject(request, 'invalid_body', new BadRequestError(`invalid body: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`))
      }
      request.body = body as WebhookBody
    }
  }, async (request, reply) => {
    const { caller } = request.params
    const callerConfig = gateway.config.callers[caller]
    if (callerConfig === undefined) return reject(request, 'unknown_caller', new UnauthorizedError())
    const hooks = {
      record,
      limit: async (): Promise<number | null> => {
        const limiter = limits.perCaller(caller)
        if (limiter === undefined) return null
        const limit = await limited(request, () => limiter(request))
        return !limit.isAllowed && limit.isExceeded ? limit.ttlInSeconds : null
      },
      count: (outcome: RequestOutcome) => count(request, outcome)
    }
    if (isPlatformScheme(callerConfig.scheme)) {
      return answerPlatform(request, reply, { gateway, scheme: callerConfig.scheme, rawBody: request.body as Buffer, replayKey: request.replayKey, hooks })
    }
    const body = request.body as WebhookBody
    const outcome = await dispatch(gateway, {
      caller,
      user: body.user ?? null,
      thread: body.thread ?? null,
      text: body.text,
      keys: [
        ...(request.replayKey !== null ? [`sig:${caller}:${request.replayKey}`] : []),
        ...(body.id !== undefined ? [`id:${caller}:${body.id}`] : [])
      ],
      deliveries: gateway.deliveries.channelsFor(callerConfig, false),
      ip: request.ip
    }, hooks)
    switch (outcome.kind) {
      case 'refused':
        request.auditedRejection = true
        throw outcome.error
      case 'notice':
        return reply.code(200).send({ ...outcome.notice, ...(gateway.config.demo ? { demo: true } : {}) })
      case 'replayed':
        void reply.header('hookgate-replayed', 'true')
        return answerRun(request, reply, { gateway, sse, run: outcome.run, token: null })
      case 'accepted':
        return answerRun(request, reply, { gateway, sse, run: outcome.run, token: outcome.token })
    }
  })
}

export default hooksRoute
