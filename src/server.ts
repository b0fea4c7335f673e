// The process entry of `hookgate serve`: the only module that reads the environment, listens and
// exits. It loads the config (or the quick-start default), takes the state directory's lock, opens
// the store and the audit log, builds the app and stops it gracefully.
//
// Shutdown (SIGTERM, SIGINT, …) goes through close-with-grace: the app stops accepting at once (503
// with Retry-After, /readyz 503), queued runs end interrupted, running agents get SIGTERM and, after
// `shutdown_grace`, SIGKILL; open event streams get each run's result; then the process exits 0.
// A second signal, or the grace plus 5 s running out, kills every agent's processes at once, records
// what it can synchronously and exits 1.
import { resolve } from 'node:path'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import type { Config } from './config/schema.ts'
import { loadConfigFile } from './config/load.ts'
import { checkHost } from './config/host-checks.ts'
import { ConfigError } from './errors.ts'
import { quickStartConfig, resolveConfigPath } from './config/quick-start.ts'
import { openProcessState } from './process-state.ts'
import { reloadConfig } from './config/reload.ts'

export interface ServeFlags {
  config?: string
  host?: string
  port?: number
}

export interface LoadedConfig {
  config: Config
  warnings: string[]
}

/** Config precedence: --config, then $HOOKGATE_CONFIG, then ./hookgate.yaml, then the quick-start default. */
export function loadServeConfig (flags: ServeFlags, env: NodeJS.ProcessEnv, cwd: string): LoadedConfig {
  const path = resolveConfigPath(flags.config, env, cwd)
  const loaded = path === null
    ? { config: quickStartConfig({ stateDir: resolve(cwd, '.hookgate'), env }), warnings: [] as string[] }
    : loadConfigFile(path, env)
  const server = { ...loaded.config.server, ...(flags.host !== undefined ? { host: flags.host } : {}), ...(flags.port !== undefined ? { port: flags.port } : {}) }
  return { config: { ...loaded.config, server }, warnings: [...loaded.warnings] }
}

export async function startServer (flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<FastifyInstance> {
  const { config, warnings } = loadServeConfig(flags, env, process.cwd())
  // With `execution: workers` the agents run on the workers: their checks belong there.
  const host = config.execution === 'workers' ? { problems: [], sandboxProblems: [], bwrapPath: null } : await checkHost(config, env)
  // Fail closed: an agent told to run in a sandbox never runs without one.
  if (host.sandboxProblems.length > 0) throw new ConfigError(host.sandboxProblems)
  // One gateway per state directory: a second one would mark the first one's runs as crashed.
  const state = await openProcessState(config, env, { bwrapPath: host.bwrapPath, role: 'gateway' })
  const cwd = process.cwd()
  // A reload reads the config exactly as this start did: same file, environment and flags.
  const readConfig = (): LoadedConfig => loadServeConfig(flags, env, cwd)
  let app: FastifyInstance
  try {
    app = await buildApp(config, { ...state.deps, readConfig })
  } catch (error) {
    await state.close()
    throw error
  }
  for (const warning of warnings) app.log.warn(warning)
  for (const problem of host.problems) app.log.error(`${problem.path}: ${problem.message}`)
  if (config.source === null) app.log.info({ secret_file: resolve(config.state_dir, 'local.secret') }, 'no config file: quick-start gateway with one caller "local"')
  if (config.demo) {
    app.log.warn('DEMO AGENT: no agent CLI found on PATH (looked for "claude"); answers come from the built-in demo agent. Install Claude Code or write a hookgate.yaml.')
  }
  if (config.store === 'memory') app.log.warn('store: memory — runs and idempotency keys are lost on restart, so a delivery retried after a restart runs again')
  state.audit.append({ event: 'config', reason: config.source === null ? 'quick-start' : 'loaded', source: config.source })

  let url: string
  try {
    url = await app.listen({ host: config.server.host, port: config.server.port })
  } catch (error) {
    await app.close().catch(() => {})
    await state.close()
    throw error
  }
  const forceStop = (why: string): void => {
    app.log.warn(`${why}: killing every agent now`)
    app.gateway.registry.forceStop()
    state.releaseLock()
  }
  // SIGHUP reloads the config instead of stopping the gateway.
  process.on('SIGHUP', () => { reloadConfig(app.gateway, readConfig, app.log) })
  closeWithGrace({
    skip: ['SIGHUP'],
    delay: (config.shutdown_grace + 5) * 1000,
    logger: { error: (message: unknown) => app.log.error(String(message)) },
    onSecondSignal: (signal) => forceStop(`second ${String(signal)}`),
    onSecondError: () => forceStop('error during shutdown'),
    onTimeout: () => forceStop('shutdown took too long')
  }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'unexpected error: shutting down')
    else app.log.info({ signal }, 'shutting down: draining runs')
    try {
      await app.close()
    } finally {
      await state.close()
    }
  })

  process.stdout.write(`hookgate listening on ${url}${config.demo ? ' (DEMO AGENT)' : ''}\n`)
  return app
}
