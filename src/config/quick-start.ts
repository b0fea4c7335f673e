// The configuration used when there is no file: one local caller whose secret is
// generated once and kept in the state directory, so `hookgate send` can sign with no flags.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { ensureStateSecret, readStateSecret } from './state-secret.ts'
import { findOnPath as findOnPathDefault } from './find-on-path.ts'
import { buildConfig } from './load.ts'
import type { Config, ConfigInput } from './schema.ts'

export const LOCAL_CALLER = 'local'
export const LOCAL_SECRET_FILE = 'local.secret'

export interface QuickStartOptions {
  /** Absolute state directory; the local secret lives here. */
  readonly stateDir: string
  readonly env: NodeJS.ProcessEnv
  /** Injected so tests decide whether `claude` exists. */
  readonly findOnPath?: (name: string, PATH: string | undefined) => string | null
  /** Working directory of the agent; defaults to the current directory. */
  readonly cwd?: string
}

/** The built-in configuration: caller `local` (hmac-sha256), 127.0.0.1:8787, command `run`, `claude` if on PATH, else the demo agent. */
export function quickStartConfig (options: QuickStartOptions): Config {
  const secret = ensureLocalSecret(options.stateDir)
  const claude = (options.findOnPath ?? findOnPathDefault)('claude', options.env.PATH)
  const input: ConfigInput = {
    server: { host: '127.0.0.1', port: 8787 },
    state_dir: options.stateDir,
    // The user's own Claude login is what a first run should use, so the agent shares their home.
    agent: claude === null ? { profile: 'demo' } : { profile: 'claude', command: claude, state: 'shared' },
    commands: { run: { prompt: '{args}', description: 'Send the text to the agent as its prompt' } },
    callers: {
      [LOCAL_CALLER]: { scheme: 'hmac-sha256', secrets: [secret], commands: ['run'], default_command: 'run' }
    }
  }
  return buildConfig(input, { source: null, baseDir: options.cwd ?? process.cwd() })
}

/**
 * The local caller's secret, as `hookgate send` needs it.
 * @throws ConfigError when the file is missing, unreadable, too short, or readable by other users.
 */
export function readLocalSecret (stateDir: string): string {
  return readStateSecret(stateDir, LOCAL_SECRET_FILE, 'start `hookgate serve` once without a config file to create it')
}

/** `--config`, else `$HOOKGATE_CONFIG`, else `./hookgate.yaml` if it exists, else null (quick start). Paths come back absolute. */
export function resolveConfigPath (flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string | null {
  if (flag !== undefined && flag !== '') return resolve(cwd, flag)
  const fromEnv = env.HOOKGATE_CONFIG
  if (fromEnv !== undefined && fromEnv !== '') return resolve(cwd, fromEnv)
  const local = resolve(cwd, 'hookgate.yaml')
  return existsSync(local) ? local : null
}

function ensureLocalSecret (stateDir: string): string {
  return ensureStateSecret(stateDir, LOCAL_SECRET_FILE)
}
