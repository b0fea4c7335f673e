// The messages between the gateway and its spawner process (see spawner-main.ts), over Node's IPC
// channel with `serialization: 'advanced'`, so output bytes cross as Uint8Array without re-encoding.
// One channel carries everything in order, so a process's output chunks, end-of-file and exit arrive in
// the order the spawner saw them.

import type { RunMarkerQuery } from '../../proc/run-processes.ts'

/** Gateway → spawner. `id` is the gateway's number for one launched process. */
export type SpawnerRequest =
  | { t: 'spawn', id: number, argv: string[], cwd: string, env: Record<string, string>, input?: string, interactive: boolean }
  /**
   * The gateway keeps no more of this process's output (its cap is reached): from now on relay only
   * lines containing one of `keep` and the last lines before each pipe ends; count the rest
   * (past-cap-filter.ts). Lines over `lineBytes` are skipped whole: the gateway cuts them anyway.
   */
  | { t: 'cap', id: number, keep: string[], lineBytes: number }
  /** The gateway consumed `bytes` more of this process's output: the spawner may read that much more. */
  | { t: 'ack', id: number, bytes: number }
  | { t: 'stdin', id: number, text: string }
  | { t: 'stdin-end', id: number }
  /** Stop reading and close the pipes (an escaped grandchild may hold them open forever). */
  | { t: 'release', id: number }
  /** Signal a run's processes outside its group (setsid escapees): a /proc scan, kept off the gateway's thread. */
  | { t: 'sweep', query: RunMarkerQuery, signal: NodeJS.Signals, exceptPgid?: number }

/** Spawner → gateway. */
export type SpawnerEvent =
  | { t: 'started', id: number, pid: number }
  | { t: 'failed', id: number, code: string | null, message: string }
  | { t: 'out', id: number, stream: 'stdout' | 'stderr', chunk: Uint8Array }
  /** Bytes read from this pipe and not relayed, since the last report (only after a `cap`). */
  | { t: 'skip', id: number, stream: 'stdout' | 'stderr', bytes: number }
  | { t: 'eof', id: number, stream: 'stdout' | 'stderr' }
  | { t: 'stdin-closed', id: number }
  | { t: 'exit', id: number, code: number | null, signal: string | null }

/**
 * Output bytes a process may have in flight (read by the spawner, not yet consumed by the gateway)
 * before the spawner stops reading its pipes, so a slow consumer makes the kernel block the agent
 * instead of the spawner or the channel buffering without end. Two acknowledgement steps: enough to
 * keep the pipe flowing, and short enough that a message's buffer is consumed before it outlives
 * V8's young generation. With 1 MiB, messages waited long enough in the gateway's queue to be
 * promoted, and then waited for a full collection: the gateway's ArrayBuffers peaked at 29–51 MB in
 * G-SSE-2's 20 MB run, against 12–22 MB with this window (docs/reliability.md).
 */
export const OUTPUT_WINDOW_BYTES = 128 * 1024
/** The gateway acknowledges consumed output in steps of this much (or when it has caught up). */
export const ACK_STEP_BYTES = 64 * 1024
/** Skipped bytes are reported once this many have accumulated, or after SKIP_REPORT_MS. */
export const SKIP_REPORT_BYTES = 1024 * 1024
/** Often enough for the gateway's idle timeout to see that a skipping agent is still writing. */
export const SKIP_REPORT_MS = 250
/** The last lines relayed when a pipe ends past the cap (the gateway quotes 2,048 characters of stderr). */
export const PAST_CAP_TAIL_BYTES = 8 * 1024
