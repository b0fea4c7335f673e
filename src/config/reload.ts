// A config reload (SIGHUP, or POST /v1/admin/reload): the process entry reads the file again the
// way it did at start; a config that loads and changes nothing restart-only replaces the running
// one for everything that arrives from now on, and one that does not is refused whole, its problems
// logged, the running config kept. Either way the audit log records it.
import { ConfigError } from '../errors.ts'
import type { Gateway } from '../gateway.ts'
import type { Config } from './schema.ts'
import { formatProblem } from './load.ts'

export interface ReloadOutcome {
  status: 'reloaded' | 'refused'
  source: string | null
  /** Why it was refused, one `path: message` each. */
  problems: string[]
  warnings: string[]
}

/** Reads the config again as the process did at start (file, environment, command-line overrides). */
export type ConfigReader = () => { config: Config, warnings: readonly string[] }

interface Log {
  info (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

export function reloadConfig (gateway: Gateway, read: ConfigReader | undefined, log: Log): ReloadOutcome {
  const source = gateway.config.source
  const refuse = (problems: string[]): ReloadOutcome => {
    log.error({ source, problems }, 'config reload refused: the running config stays')
    gateway.deps.audit.append({ event: 'config', reason: 'reload refused', source })
    return { status: 'refused', source, problems, warnings: [] }
  }
  if (read === undefined || source === null) return refuse(['/: no config file: the built-in quick-start config cannot be reloaded'])
  let loaded: ReturnType<ConfigReader>
  try {
    loaded = read()
  } catch (error) {
    if (error instanceof ConfigError) return refuse(error.problems.map(formatProblem))
    return refuse([`/: ${(error as Error).message}`])
  }
  const applied = gateway.reload(loaded.config)
  if (!applied.applied) return refuse(applied.restartOnly.map((path) => `${path}: changed, which needs a restart (nothing was applied)`))
  const warnings = [...loaded.warnings]
  log.info({ source, warnings }, 'config reloaded: new requests and runs use it')
  gateway.deps.audit.append({ event: 'config', reason: 'reloaded', source })
  return { status: 'reloaded', source, problems: [], warnings }
}
