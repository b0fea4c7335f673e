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
import { AuditLog } from './audit/audit-log.ts'
import type { Config } from './config/schema.ts'
import { loadConfigFile } from './config/load.ts'
import { checkHost } from './config/host-checks.ts'
import { ConfigError } from './errors.ts'
import { quickStartConfig, resolveConfigPath } from './config/quick-start.ts'
import { createProcessControl } from './proc/process-control.ts'
import { ensureStateSecret } from './config/state-secret.ts'
import { acquireStateLock } from './proc/state-lock.ts'
import { createExecaLauncher } from './runner/execa-launcher.ts'
import { createStore } from './store/create-store.ts'

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

const LINK_KEY_FILE = 'link.key'

export async function startServer (flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<FastifyInstance> {
  const { config, warnings } = loadServeConfig(flags, env, process.cwd())
  const host = await checkHost(config, env)
  // Fail closed: an agent told to run in a sandbox never runs without one.
  if (host.sandboxProblems.length > 0) throw new ConfigError(host.sandboxProblems)
  // One gateway per state directory: a second one would mark the first one's runs as crashed.
  const lock = acquireStateLock(config.state_dir)
  let audit: AuditLog | undefined
  let store: ReturnType<typeof createStore> | undefined
  let app: FastifyInstance
  try {
    audit = new AuditLog(config.state_dir, Date.now, { rotateBytes: config.audit.rotate_bytes })
    store = createStore(config)
    // Run links sent to chats must keep working after a restart: their key lives with the state.
    const linkKey = config.store === 'memory' ? undefined : Buffer.from(ensureStateSecret(config.state_dir, LINK_KEY_FILE), 'hex')
    app = await buildApp(config, {
      env,
      launcher: createExecaLauncher(),
      audit,
      store,
      processes: createProcessControl(),
      now: Date.now,
      ...(linkKey !== undefined ? { linkKey } : {}),
      ...(host.bwrapPath !== null ? { bwrapPath: host.bwrapPath } : {})
    })
  } catch (error) {
    await store?.close()
    audit?.close()
    lock.release()
    throw error
  }
  const openAudit = audit
  const openStore = store
  for (const warning of warnings) app.log.warn(warning)
  for (const problem of host.problems) app.log.error(`${problem.path}: ${problem.message}`)
  if (config.source === null) app.log.info({ secret_file: resolve(config.state_dir, 'local.secret') }, 'no config file: quick-start gateway with one caller "local"')
  if (config.demo) {
    app.log.warn('DEMO AGENT: no agent CLI found on PATH (looked for "claude"); answers come from the built-in demo agent. Install Claude Code or write a hookgate.yaml.')
  }
  if (config.store === 'memory') app.log.warn('store: memory — runs and idempotency keys are lost on restart, so a delivery retried after a restart runs again')
  openAudit.append({ event: 'config', reason: config.source === null ? 'quick-start' : 'loaded', source: config.source })

  let url: string
  try {
    url = await app.listen({ host: config.server.host, port: config.server.port })
  } catch (error) {
    await app.close().catch(() => {})
    await openStore.close()
    openAudit.close()
    lock.release()
    throw error
  }
  const forceStop = (why: string): void => {
    app.log.warn(`${why}: killing every agent now`)
    app.gateway.registry.forceStop()
    lock.release()
  }
  closeWithGrace({
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
      await openStore.close()
      openAudit.close()
      lock.release()
    }
  })

  process.stdout.write(`hookgate listening on ${url}${config.demo ? ' (DEMO AGENT)' : ''}\n`)
  return app
}
