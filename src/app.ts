// Builds the gateway app from a loaded config. No environment reads and no listen() here: the
// process concerns live in src/server.ts, so tests build as many isolated apps as they like.
// Plugins are registered explicitly, in an order that matters: errors and OpenAPI before routes
// (they work through onRoute), rate-limit before the routes that call createRateLimit.
import Fastify, { type FastifyInstance } from 'fastify'
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import sensible from '@fastify/sensible'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config/schema.ts'
import { Gateway, type GatewayDeps } from './gateway.ts'
import { AnsweredRequestLog, loggerOptions } from './logger.ts'
import { OverloadedError } from './errors.ts'
import errors from './plugins/errors.ts'
import expectContinue from './plugins/expect-continue.ts'
import { SnapshotLocalStore } from './hooks/rate-limit-store.ts'
import unreadBodyClose from './plugins/unread-body-close.ts'
import openapi from './plugins/openapi.ts'
import hooksRoute from './routes/hooks.ts'
import runsRoute from './routes/runs.ts'
import healthRoute from './routes/health.ts'
import docsRoute from './routes/docs.ts'
import metricsRoute from './routes/metrics.ts'
import adminRoute from './routes/admin.ts'
import adminRunsRoute from './routes/admin-runs.ts'
import runsLiveRoute from './routes/runs-live.ts'
import consoleRoute from './routes/console.ts'
import { RequestLimits } from './hooks/request-limits.ts'
import { DEFAULT_SSE_OPTIONS, type SseOptions } from './sse/sse-stream.ts'

/** How long open event streams get to send their run's result before the sockets are closed. */
const STREAM_FLUSH_MS = 2000
const DRAINING_RETRY_AFTER_S = 10
/** Answered while draining too: a shutdown is when health and metrics matter most. */
const OPERATIONS = new Set(['/healthz', '/readyz', '/metrics'])

export interface AppOptions extends GatewayDeps {
  /** Where the process log goes (default stdout). */
  logStream?: NodeJS.WritableStream
  sse?: Partial<SseOptions>
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: Gateway
  }
}

export async function buildApp (config: Config, opts: AppOptions): Promise<FastifyInstance> {
  // First, so the log scrubs its secrets (and a reload's) from the first line on.
  const gateway = new Gateway(config, opts)
  const app = Fastify({
    logger: loggerOptions(config.log.level, opts.logStream, gateway.logScrubber),
    logController: new AnsweredRequestLog(),
    trustProxy: config.server.trust_proxy,
    bodyLimit: config.limits.body_bytes,
    // Slow-header and slow-body clients are cut off; SSE responses are not affected (they are responses).
    connectionTimeout: 0,
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    // Node checks the header timeout only every connectionsCheckingInterval (30 s by default), which
    // would let a slow-header client hold its socket up to 45 s; checked every second, it is 15–16 s.
    http: { headersTimeout: 15_000, connectionsCheckingInterval: 1000 },
    // Event streams are never idle, so closing must cut them; runs themselves are drained first.
    forceCloseConnections: true,
    // Our own onRequest hook answers while draining, in the API's error format and with Retry-After.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 100 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  const sse: SseOptions = { ...DEFAULT_SSE_OPTIONS, ...opts.sse, encoder: gateway.encoder }
  app.decorate('gateway', gateway)

  // Stop accepting the moment shutdown begins; health routes answer for themselves.
  app.addHook('onRequest', async (request) => {
    if (gateway.registry.draining && !OPERATIONS.has(request.routeOptions.url ?? '')) {
      throw Object.assign(new OverloadedError('The gateway is shutting down'), { retryAfter: DRAINING_RETRY_AFTER_S })
    }
  })
  await app.register(sensible)
  await app.register(errors, { bodyLimit: config.limits.body_bytes })
  // Before the routes, so its onError hook is first on each of them: a body over the limit stops
  // being read in the tick it is refused (413, then a lingering close); so does any body still unread
  // when an answer goes out (an early refusal, a 404).
  await app.register(unreadBodyClose)
  await app.register(expectContinue)
  await app.register(openapi)
  // With a shared store the counters are shared too, so a caller's limit holds across replicas.
  // Redis unreachable: limited requests are refused (503), unless the config says to let them pass.
  const shared = gateway.cluster?.store
  await app.register(rateLimit, {
    global: false,
    ...(shared !== undefined
      ? { redis: shared.client, nameSpace: `${shared.prefix}rl:`, skipOnError: config.rate_limit_fail_open }
      : { store: SnapshotLocalStore as unknown as FastifyRateLimitStoreCtor })
  })
  // One set of limiters for every route that admits work, so each caller has one budget.
  const limits = new RequestLimits(app.createRateLimit, gateway)
  await app.register(hooksRoute, { gateway, sse, limits })
  await app.register(runsRoute, { gateway, sse })
  await app.register(runsLiveRoute, { gateway, sse })
  await app.register(healthRoute, { gateway })
  await app.register(metricsRoute, { gateway })
  await app.register(adminRoute, { gateway })
  await app.register(adminRunsRoute, { gateway, limits })
  await app.register(docsRoute)
  await app.register(consoleRoute)

  // Recovery from a crash happens before the first request can arrive (listen() waits for ready).
  app.addHook('onReady', async () => { await gateway.start() })
  // Runs are drained before the listener closes, so open event streams still receive each run's result.
  app.addHook('preClose', async () => {
    await gateway.registry.drain()
    await gateway.streams.idle(STREAM_FLUSH_MS)
  })
  app.addHook('onClose', async () => { await gateway.stop() })
  return app
}
