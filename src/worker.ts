// The process entry of `hookgate worker` (execution: workers): reads the environment like
// `serve`, but serves no HTTP (except, when asked, GET /metrics on a listener of its own). It joins the deployment through the shared store, takes runs from
// the shared queue (at most `limits.concurrency` at once), runs each agent on this machine, and
// publishes events, results and deliveries from here. Outbound connections only: a workstation
// behind NAT works for a gateway on a VPS.
//
// Shutdown (SIGTERM, SIGINT): no new runs are taken; running agents get SIGTERM and, after
// `shutdown_grace`, SIGKILL, and end `interrupted`; then the lease is given up and the process exits.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { checkHost } from './config/host-checks.ts'
import { ConfigError } from './errors.ts'
import { Gateway } from './gateway.ts'
import { loggerOptions } from './logger.ts'
import { secretScrubberFor } from './secrets/configured-secrets.ts'
import type { RunState } from './runs/run-state.ts'
import { QueueWorker } from './cluster/run-queue.ts'
import type { DeliveryChannel } from './store/run-store.ts'
import { loadServeConfig, type ServeFlags } from './server.ts'
import { openProcessState } from './process-state.ts'
import { reloadConfig } from './config/reload.ts'
import { listenForMetrics, type MetricsListener } from './metrics/metrics-listener.ts'

export interface WorkerFlags extends Pick<ServeFlags, 'config'> {
  /** Serve GET /metrics here (`--metrics-port`, `--metrics-host`). */
  metrics?: { host: string, port: number }
}

export interface WorkerHandle {
  instance: string
  /** Where the metrics are served, when they are. */
  metricsUrl: string | null
  /** Stops taking runs, ends the running ones and leaves. */
  stop: () => Promise<void>
}

export async function startWorker (flags: WorkerFlags, env: NodeJS.ProcessEnv = process.env): Promise<WorkerHandle> {
  const { config, warnings } = loadServeConfig(flags, env, process.cwd())
  if (!/^rediss?:\/\//.test(config.store)) {
    throw new ConfigError([{ path: '/store', message: '`hookgate worker` takes runs from a shared queue: it needs `store: redis://…` (and gateways with `execution: workers`)' }])
  }
  const host = await checkHost(config, env)
  if (host.sandboxProblems.length > 0) throw new ConfigError(host.sandboxProblems)
  const log = pino(loggerOptions(config.log.level, undefined, secretScrubberFor(config, env)) as pino.LoggerOptions)
  const state = await openProcessState(config, env, { bwrapPath: host.bwrapPath, role: 'worker' })
  const cwd = process.cwd()
  const readConfig = (): ReturnType<typeof loadServeConfig> => loadServeConfig(flags, env, cwd)
  let gateway: Gateway
  let metrics: MetricsListener | null = null
  try {
    gateway = new Gateway(config, { ...state.deps, readConfig, servesMetrics: flags.metrics !== undefined })
    await gateway.start()
    if (flags.metrics !== undefined) {
      metrics = await listenForMetrics(gateway.metrics, config.metrics, { ...flags.metrics, onError: (error) => log.error({ err: error }, 'metrics scrape failed') }).catch(async (error: unknown) => {
        await gateway.stop()
        throw error
      })
    }
  } catch (error) {
    await state.close()
    throw error
  }
  const cluster = gateway.cluster!
  for (const warning of warnings) log.warn(warning)
  for (const problem of host.problems) log.error(`${problem.path}: ${problem.message}`)
  state.audit.append({ event: 'config', reason: 'worker', source: config.source })

  const queue = await QueueWorker.start({
    connection: cluster.store.connectionOptions(),
    prefix: `${cluster.store.prefix}bull`,
    concurrency: config.limits.concurrency,
    lockMs: config.redis.lease * 1000,
    process: (runId) => gateway.registry.adopt(runId, (run) => { void trackDeliveries(gateway, run) }),
    onError: (error) => log.warn({ err: error }, 'run queue')
  })

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      // The queue stops handing out runs and waits for the ones it gave; draining ends those.
      await Promise.all([queue.close(), gateway.registry.drain('worker shutdown')])
      await gateway.stop()
      // Scraped until the end: a shutdown is when the figures matter most.
      await metrics?.close()
      await state.close()
    })()
    return stopping
  }
  // SIGHUP reloads the config (rotated reply tokens, new limits) instead of stopping the worker.
  process.on('SIGHUP', () => { reloadConfig(gateway, readConfig, log) })
  closeWithGrace({
    skip: ['SIGHUP'],
    delay: (config.shutdown_grace + 5) * 1000,
    logger: { error: (message: unknown) => log.error(String(message)) },
    onSecondSignal: () => { gateway.registry.forceStop(); state.releaseLock() },
    onTimeout: () => { gateway.registry.forceStop(); state.releaseLock() }
  }, async ({ signal, err }) => {
    if (err !== undefined) log.error({ err }, 'unexpected error: shutting down')
    else log.info({ signal }, 'shutting down: draining runs')
    await stop()
  })
  if (metrics !== null) process.stdout.write(`hookgate worker metrics at ${metrics.url}\n`)
  process.stdout.write(`hookgate worker ${cluster.instance} taking runs from ${cluster.store.prefix}bull (concurrency ${config.limits.concurrency})\n`)
  return { instance: cluster.instance, metricsUrl: metrics?.url ?? null, stop }
}

/** The deliveries the accepting gateway created for the run: this process sends them when it ends. */
async function trackDeliveries (gateway: Gateway, run: RunState): Promise<void> {
  const channels: DeliveryChannel[] = []
  for (const channel of ['reply', 'callback'] as const) {
    const d = await gateway.registry.store.getDelivery(run.id, channel).catch(() => null)
    if (d?.state === 'pending') channels.push(channel)
  }
  gateway.deliveries.track(run, channels)
}
