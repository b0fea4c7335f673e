// Where `send` and `sign` find the caller's secret: --secret, --secret-file, $HOOKGATE_SECRET, and
// last the quick-start secret in ./.hookgate, so the local quick-start gateway needs no flags at all.
// --secret is accepted for convenience but lands in shell history and `ps`; the others do not.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigError } from '../errors.ts'
import { readLocalSecret } from '../config/quick-start.ts'
import { UsageError } from './cli-error.ts'
import { describeFsError } from './read-input.ts'
import type { CliContext } from './context.ts'

export interface SecretFlags {
  secret?: string | undefined
  secretFile?: string | undefined
}

export function resolveSecret (flags: SecretFlags, ctx: CliContext): string {
  if (flags.secret !== undefined && flags.secretFile !== undefined) throw new UsageError('give either --secret or --secret-file, not both')
  if (flags.secret !== undefined) return nonEmpty(flags.secret, '--secret')
  if (flags.secretFile !== undefined) {
    const path = resolve(ctx.cwd, flags.secretFile)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read the secret file ${path}: ${describeFsError(err)}`)
    }
    // Files written by editors and `echo` end in a newline that is not part of the secret.
    return nonEmpty(text.trim(), `the secret file ${path}`)
  }
  const fromEnv = ctx.env.HOOKGATE_SECRET
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const stateDir = resolve(ctx.cwd, '.hookgate')
  try {
    return readLocalSecret(stateDir)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const why = err.problems.map((p) => p.message).join('; ')
    throw new UsageError(`no secret: pass --secret-file FILE or --secret S, or set HOOKGATE_SECRET\n  (${why})`)
  }
}

function nonEmpty (secret: string, what: string): string {
  if (secret === '') throw new UsageError(`${what} is empty`)
  return secret
}
