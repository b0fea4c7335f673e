// `hookgate audit verify`: checks the audit log's chain, rotated files and head anchor, and prints
// the first bad record. Exit 0 when it verifies, 1 on a break (or nothing to verify), 2 on bad usage.
import { join, resolve } from 'node:path'
import { resolveTarget, VerifyInputError } from '../audit/verify-target.ts'
import { plural, verifyAuditLog, type VerifyResult } from '../audit/verify.ts'
import { loadConfigFile } from '../config/load.ts'
import { resolveConfigPath } from '../config/quick-start.ts'
import { ConfigError } from '../errors.ts'
import { parseFlags } from './args.ts'
import { CliError, UsageError } from './cli-error.ts'
import { EXIT, type CliContext, type Command } from './context.ts'
import { printConfigProblems } from './print-problems.ts'

const usage = `Usage: hookgate audit verify [FILE|DIR] [--config F] [--strict] [--json]

Verify the audit log: every record's HMAC, that seq counts up by one and that each
record's prev is the hash of the one before, across the rotated files
(audit.000001.jsonl, ...) in order and then the live audit.jsonl; finally the head
anchor (audit.head), which shows whether records were cut off the end. The key is
read from audit.key beside the log.

FILE defaults to <state_dir>/audit.jsonl of the config \`hookgate serve\` would load
(--config, else $HOOKGATE_CONFIG, else ./hookgate.yaml, else the quick-start
./.hookgate). A directory means its audit.jsonl; a rotated file is checked alone.

Prints "OK: N records, seq A..B, K files" and exits 0, or the first bad record,
"FAIL: FILE line L, seq S: what is wrong", and exits 1. Notes say what could not be
checked (older files pruned, records the gateway recorded as lost at a restart).

Options:
  --config F    take the state directory from this config file
  --strict      also fail on those notes: the chain must start at seq 1 and be whole
  --json        print the result as one JSON object
  -h, --help    show this help
`

async function run (args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  if (sub === undefined) throw new UsageError('missing subcommand: verify')
  if (sub !== 'verify') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (there is one: verify)`)
  return verify(rest, ctx)
}

async function verify (args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseFlags(args, { config: { type: 'string' }, strict: { type: 'boolean' }, json: { type: 'boolean' } })
  if (parsed === null) {
    ctx.stdout.write(usage)
    return EXIT.ok
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])} (one FILE or DIR)`)
  const file = positionals[0]
  if (file !== undefined && values.config !== undefined) throw new UsageError('give FILE or --config, not both')
  let path: string
  if (file !== undefined) {
    path = resolve(ctx.cwd, file)
  } else {
    const fromConfig = configuredLog(values.config, ctx)
    if (typeof fromConfig === 'number') return fromConfig
    path = fromConfig
  }
  let result: VerifyResult
  try {
    result = verifyAuditLog(resolveTarget(path), { strict: values.strict === true })
  } catch (err) {
    if (err instanceof VerifyInputError) throw new CliError(err.message, EXIT.failed)
    const code = (err as NodeJS.ErrnoException).code
    if (typeof code === 'string') throw new CliError(`cannot verify: ${(err as Error).message}`, EXIT.failed)
    throw err
  }
  ctx.stdout.write(values.json === true ? `${JSON.stringify(result)}\n` : formatResult(result))
  return result.ok ? EXIT.ok : EXIT.failed
}

/** The live log of the config `serve` would load, or the exit code after printing its problems. */
function configuredLog (flag: string | undefined, ctx: CliContext): string | number {
  const source = resolveConfigPath(flag, ctx.env, ctx.cwd)
  // Not quickStartConfig(): it would create a secret just to find a directory.
  if (source === null) return join(resolve(ctx.cwd, '.hookgate'), 'audit.jsonl')
  try {
    return join(loadConfigFile(source, ctx.env).config.state_dir, 'audit.jsonl')
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    printConfigProblems(err, source, ctx)
    ctx.stderr.write('(give the log as FILE to verify it without the config)\n')
    return EXIT.usage
  }
}

export function formatResult (result: VerifyResult): string {
  const summary = `${plural(result.records, 'record')}${result.firstSeq === null ? '' : `, seq ${result.firstSeq}..${result.lastSeq}`}, ${plural(result.files.length, 'file')}`
  const notes = result.notes.map((n) => `note: ${n.message}\n`).join('')
  const p = result.problem
  if (p !== null) {
    const where = `${p.file}${p.line > 0 ? ` line ${p.line}` : ''}${p.seq !== null ? `, seq ${p.seq}` : ''}`
    const before = `${plural(result.records, 'good record')} before it${result.firstSeq === null ? '' : ` (seq ${result.firstSeq}..${result.lastSeq})`}`
    return `FAIL: ${where}: ${p.message}\n  in ${result.dir}; ${before}\n${notes}`
  }
  if (!result.ok) {
    return `FAIL (--strict): ${summary}, but the chain is not whole:\n${notes}`
  }
  return `OK: ${summary}\n${notes}`
}

export const auditCommand: Command = { name: 'audit', usage, run }
