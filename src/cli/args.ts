// Flag parsing for every subcommand: node:util parseArgs in strict mode, with its errors turned into
// UsageErrors and `-h`/`--help` handled the same way everywhere.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util'
import { UsageError } from './cli-error.ts'

const HELP = { help: { type: 'boolean', short: 'h' } } as const

interface FlagsConfig<O extends ParseArgsOptionsConfig> {
  args: string[]
  options: O & typeof HELP
  allowPositionals: true
  strict: true
}

export type ParsedFlags<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<FlagsConfig<O>>>

/** null when `--help` was asked for (the caller prints its usage and exits 0). */
export function parseFlags<const O extends ParseArgsOptionsConfig> (args: string[], options: O): ParsedFlags<O> | null {
  const config: FlagsConfig<O> = { args, options: { ...options, ...HELP }, allowPositionals: true, strict: true }
  let parsed: ParsedFlags<O>
  try {
    parsed = parseArgs(config)
  } catch (err) {
    // parseArgs names the offending flag; its advice on "--" is long-winded, so say it shorter.
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message)
    throw new UsageError(unknown === null ? (err as Error).message : `unknown option ${unknown[1]} (an argument that starts with "-" goes after "--")`)
  }
  return (parsed.values as { help?: boolean }).help === true ? null : parsed
}

/** A whole number in [min, max], for flags like --port and --timestamp. */
export function integerFlag (name: string, value: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`)
  }
  return Number(value)
}

export function oneOf<T extends string> (name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`)
  }
  return value as T
}

export function noPositionals (positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`)
}
