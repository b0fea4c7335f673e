// How `serve` and `worker` report a start that failed for a reason the user can fix: config problems
// with their lines, state-directory and store problems as one message, without a stack.
import { AuditError } from '../audit/audit-log.ts'
import { resolveConfigPath } from '../config/quick-start.ts'
import { ConfigError } from '../errors.ts'
import { StateLockedError } from '../proc/state-lock.ts'
import { StoreUnavailableError } from '../store/run-store.ts'
import { CliError } from './cli-error.ts'
import { EXIT, type CliContext } from './context.ts'
import { printConfigProblems } from './print-problems.ts'

/** The exit code for a config problem (printed); throws a CliError for the others it knows, else rethrows. */
export function startFailure (err: unknown, configFlag: string | undefined, ctx: CliContext): number {
  if (err instanceof ConfigError) {
    printConfigProblems(err, resolveConfigPath(configFlag, ctx.env, ctx.cwd), ctx)
    return EXIT.failed
  }
  if (err instanceof StateLockedError || err instanceof AuditError || err instanceof StoreUnavailableError) {
    throw new CliError(err.message, EXIT.failed)
  }
  throw err
}
