// The messages between the gateway and its spawner process (see spawner-main.ts), over Node's IPC
// channel with `serialization: 'advanced'`, so output bytes cross as Uint8Array without re-encoding.
// One channel carries everything in order, so a process's output chunks, end-of-file and exit arrive in
// the order the spawner saw them.

import type { RunMarkerQuery } from '../../proc/run-processes.ts'

/** Gateway → spawner. `id` is the gateway's number for one launched process. */
export type SpawnerRequest =
  | { t: 'spawn', id: number, argv: string[], cwd: string, env: Record<string, string>, input?: string, interactive: boolean }
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
  | { t: 'eof', id: number, stream: 'stdout' | 'stderr' }
  | { t: 'stdin-closed', id: number }
  | { t: 'exit', id: number, code: number | null, signal: string | null }

/**
 * Output bytes a process may have in flight (read by the spawner, not yet consumed by the gateway)
 * before the spawner stops reading its pipes, so a slow consumer makes the kernel block the agent
 * instead of the spawner or the channel buffering without end.
 */
export const OUTPUT_WINDOW_BYTES = 1024 * 1024
/** The gateway acknowledges consumed output in steps of this much (or when it has caught up). */
export const ACK_STEP_BYTES = 64 * 1024
