// One format for configuration problems wherever the CLI meets them (serve, check): `path: message`
// lines, the same text ConfigError carries, so users can grep for a path across both.
import { formatProblem } from '../config/load.ts'
import type { ConfigError } from '../errors.ts'
import type { CliContext } from './context.ts'

export function printConfigProblems (err: ConfigError, source: string | null, ctx: CliContext): void {
  const count = err.problems.length
  const where = source === null ? 'the configuration' : source
  ctx.stderr.write(`✗ ${where}: ${count} problem${count === 1 ? '' : 's'}\n`)
  for (const problem of err.problems) ctx.stderr.write(`  ${formatProblem(problem)}\n`)
}
