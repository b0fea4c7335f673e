// What a subcommand may touch of the outside world, passed in rather than read from `process`, so the
// commands stay plain functions of their arguments and environment.
import type { Readable, Writable } from 'node:stream'

export interface CliContext {
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
  readonly stdin: Readable & { isTTY?: boolean }
  readonly stdout: Writable & { isTTY?: boolean }
  readonly stderr: Writable & { isTTY?: boolean }
}

/** A subcommand: `run` resolves to the process exit code. */
export interface Command {
  readonly name: string
  /** The full text of `hookgate <name> --help`. */
  readonly usage: string
  run (args: string[], ctx: CliContext): Promise<number>
}

/** Exit codes shared by every subcommand. */
export const EXIT = {
  ok: 0,
  /** A run failed, a config has problems, or nothing succeeded for another reason. */
  failed: 1,
  usage: 2,
  /** The gateway refused the request or could not be reached. */
  refused: 3,
  /** Ctrl-C, as shells report SIGINT. */
  interrupted: 130
} as const
