// How an agent process is started, behind one small interface (implemented by the spawner process,
// src/runner/spawner/), so how spawning is done can change without touching the runner, the registry
// or routes.
// It hands over raw byte chunks, not lines: splitting, capping and decoding stay in the runner, so a
// replacement only has to move bytes, and no implementation can buffer an endless line.

import type { KillOptions, RunMarkerQuery } from '../proc/run-processes.ts'

export interface LaunchSpec {
  /** argv[0] is the executable (looked up on the PATH of `env`); never run through a shell. */
  argv: readonly string[]
  cwd: string
  /** The complete environment of the child: nothing else is inherited. */
  env: Readonly<Record<string, string>>
  /** Written to stdin and then closed; stdin is ignored (/dev/null) when absent. */
  input?: string
  /** Keep stdin open as a pipe for `LaunchedProcess.stdin` (interactive agents); excludes `input`. */
  interactive?: boolean
  /** After `capOutput()`: substrings marking output lines still wanted (see `AgentProfile.keepPastCap`). */
  keepPastCap?: readonly string[]
}

/** Our end of an interactive agent's stdin. Writes after the end or after the agent exited are dropped. */
export interface AgentInput {
  /** False when the text could not be written (stdin already closed or broken). */
  write (text: string): boolean
  /** Closes stdin: the agent reads end-of-file. Idempotent. */
  end (): void
  readonly ended: boolean
}

export interface OutputChunk {
  stream: 'stdout' | 'stderr'
  /** Raw bytes as they arrived; bounded by the pipe's read size, not by the agent's line length. */
  chunk: Uint8Array
  /** After `capOutput()`: bytes read from the pipe before `chunk` and not handed over (chunk may be empty). */
  skipped?: number
}

export interface ExitInfo {
  code: number | null
  signal: string | null
  /** Set when the process never started; `code` is the errno name (ENOENT, EACCES, …) when known. */
  spawnError: { code: string | null, message: string } | null
}

export interface LaunchedProcess {
  /** Undefined when the process could not be started. */
  readonly pid: number | undefined
  /** Present when launched with `interactive`. */
  readonly stdin?: AgentInput
  /**
   * stdout and stderr chunks in arrival order. Pipes are read only as fast as this is consumed, so the
   * consumer must keep reading to the end or the child blocks on a full pipe. Ends when both pipes
   * close or after `release()`; never throws.
   */
  readonly output: AsyncIterable<OutputChunk>
  /** Settles when the process itself has exited (not when its pipes close); never rejects. */
  readonly exited: Promise<ExitInfo>
  /** Signal the whole process group (the child is a group leader), so grandchildren get it too. */
  killGroup (signal: NodeJS.Signals): void
  /**
   * The consumer keeps no more output (its cap is reached). From here on the launcher may hand over
   * only the lines matching `keepPastCap` and the last lines before each pipe ends, reporting the rest
   * as `skipped`. The pipes are still drained to the end. Optional: without it everything is handed over.
   */
  capOutput? (): void
  /**
   * Stop reading and close our ends of the pipes, ending `output`. For pipes still held open after the
   * leader exited by a process that escaped the group (setsid): we stop waiting for them.
   */
  release (): void
}

export interface Launcher {
  /**
   * Signals the processes that carry a run's marker outside the group `exceptPgid` (setsid
   * escapees). Fire and forget; absent: the caller scans /proc itself.
   */
  sweepRun? (query: RunMarkerQuery, signal: NodeJS.Signals, options: KillOptions): void
  /**
   * Settles once the process has started (its pid is known) or failed to; never rejects: a process
   * that cannot start is reported through `exited.spawnError`.
   */
  launch (spec: LaunchSpec): Promise<LaunchedProcess>
}
