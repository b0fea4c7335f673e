// Loads the configuration `hookgate serve` would load (same precedence: --config, $HOOKGATE_CONFIG,
// ./hookgate.yaml, the quick-start default) and reports it as checks. Doctor only looks: with no
// config and no quick-start secret yet, the default is built in a throwaway directory, so running
// doctor never creates the state directory or its secret.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { formatProblem, loadConfigFile } from '../config/load.ts'
import { LOCAL_SECRET_FILE, quickStartConfig, resolveConfigPath } from '../config/quick-start.ts'
import type { Config } from '../config/schema.ts'
import { ConfigError } from '../errors.ts'
import { fail, ok, warn, type Check } from './check.ts'

export interface DoctorConfig {
  readonly checks: Check[]
  /** Null when it does not load: the checks that need it are skipped. */
  readonly config: Config | null
}

// The network checks say these more precisely (with the public URL in view).
const COVERED_ELSEWHERE = ['/server/host:', '/server/trust_proxy:']

export function loadDoctorConfig (flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): DoctorConfig {
  const path = resolveConfigPath(flag, env, cwd)
  if (path === null) return quickStart(env, cwd)
  const origin = flag !== undefined && flag !== '' ? '--config' : env.HOOKGATE_CONFIG !== undefined && env.HOOKGATE_CONFIG !== '' ? '$HOOKGATE_CONFIG' : './hookgate.yaml'
  try {
    const { config, warnings } = loadConfigFile(path, env)
    return {
      config,
      checks: [
        ok('config', `${path} loads (found through ${origin})`),
        ...warnings.filter((w) => !COVERED_ELSEWHERE.some((prefix) => w.startsWith(prefix))).map((w) => warn('config', w))
      ]
    }
  } catch (error) {
    return { config: null, checks: [notLoaded(path, error)] }
  }
}

function quickStart (env: NodeJS.ProcessEnv, cwd: string): DoctorConfig {
  const stateDir = resolve(cwd, '.hookgate')
  const what = 'no config file (no --config, no $HOOKGATE_CONFIG, no ./hookgate.yaml): checking the quick-start default `hookgate serve` would use'
  try {
    if (existsSync(join(stateDir, LOCAL_SECRET_FILE))) {
      return { config: quickStartConfig({ stateDir, env, cwd }), checks: [ok('config', what)] }
    }
    // No secret yet: `serve` would generate one, doctor must not.
    const scratch = mkdtempSync(join(tmpdir(), 'hookgate-doctor-'))
    try {
      const config = quickStartConfig({ stateDir: scratch, env, cwd })
      return { config: { ...config, state_dir: stateDir }, checks: [ok('config', what)] }
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  } catch (error) {
    return { config: null, checks: [notLoaded(`the quick-start default (state in ${stateDir})`, error)] }
  }
}

function notLoaded (what: string, error: unknown): Check {
  if (error instanceof ConfigError) {
    const count = error.problems.length
    return fail('config', `${what} does not load: ${count} problem${count === 1 ? '' : 's'}`, {
      details: error.problems.map(formatProblem),
      fix: 'correct each path listed, then run `hookgate check`; the checks that need a configuration were skipped'
    })
  }
  return fail('config', `${what} does not load: ${(error as Error).message}`, {
    fix: 'correct the cause above, then run `hookgate check`; the checks that need a configuration were skipped'
  })
}
