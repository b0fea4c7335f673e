// The process entry of `hookgate serve`: the only module that reads the environment, listens and
// exits. It loads the config (or the quick-start default), builds the app and stops it gracefully.
import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { AuditLog } from './audit/audit-log.ts'
import type { Config } from './config/schema.ts'
import { loadConfigFile } from './config/load.ts'
import { quickStartConfig, resolveConfigPath } from './config/quick-start.ts'
import { createExecaLauncher } from './runner/execa-launcher.ts'

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
  const audit = new AuditLog(config.state_dir)
  const app = await buildApp(config, { env, launcher: createExecaLauncher(), audit, now: Date.now })
  for (const warning of warnings) app.log.warn(warning)
  if (config.source === null) app.log.info({ secret_file: resolve(config.state_dir, 'local.secret') }, 'no config file: quick-start gateway with one caller "local"')
  if (config.demo) {
    app.log.warn('DEMO AGENT: no agent CLI found on PATH (looked for "claude"); answers come from the built-in demo agent. Install Claude Code or write a hookgate.yaml.')
  }
  audit.append({ event: 'config', reason: config.source === null ? 'quick-start' : 'loaded', source: config.source })
  const url = await app.listen({ host: config.server.host, port: config.server.port })
  process.stdout.write(`hookgate listening on ${url}${config.demo ? ' (DEMO AGENT)' : ''}\n`)

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal means "now": agents still get SIGKILL through their process groups.
      app.log.warn({ signal }, 'second signal: exiting at once')
      process.exit(1)
    }
    stopping = true
    app.log.info({ signal }, 'shutting down: draining runs')
    const force = setTimeout(() => process.exit(1), (config.shutdown_grace + 5) * 1000)
    force.unref()
    app.close().then(() => { audit.close(); process.exit(0) }, (err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  return app
}
