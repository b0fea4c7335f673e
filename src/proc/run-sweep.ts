// Makes a launched agent's group kill reach the run's escapees too: every time the supervisor
// signals the group (SIGTERM on timeout or cancel, SIGKILL after the grace and after the leader
// exits), the processes that carry the run's marker outside that group get the same signal. So a
// setsid grandchild dies with the run instead of living on, re-parented to init.
import type { LaunchedProcess } from '../runner/launcher.ts'
import { processIdentity } from './process-table.ts'
import { assertRunId } from './run-marker.ts'
import { killRunProcesses, type KillOptions, type RunMarkerQuery } from './run-processes.ts'

export type Sweep = (query: RunMarkerQuery, signal: NodeJS.Signals, options: KillOptions) => void

/** `sweep` does the /proc scan; by default here, on the caller's thread. */
export function withRunSweep (child: LaunchedProcess, runId: string, sweep: Sweep = localSweep): LaunchedProcess {
  assertRunId(runId)
  if (child.pid === undefined) return child
  // Read now, while the leader surely exists (not yet reaped): its start time bounds the search, so
  // nothing older than the run can match, and its group is the launcher's to signal (signalling
  // members twice would look like a second, "force quit" SIGTERM to some CLIs).
  const leader = processIdentity(child.pid)
  const query: RunMarkerQuery = leader === null ? { runId } : { runId, notBeforeTicks: leader.startTicks, bootId: leader.bootId }
  const options: KillOptions = leader === null ? {} : { exceptPgid: leader.pgid }
  return {
    // Spread, so every other member of the interface (stdin, capOutput, …) passes through unchanged.
    ...child,
    killGroup (signal) {
      child.killGroup(signal)
      sweep(query, signal, options)
    }
  }
}

function localSweep (query: RunMarkerQuery, signal: NodeJS.Signals, options: KillOptions): void {
  try {
    killRunProcesses(query, signal, options)
  } catch {
    // Reading /proc failed in some unexpected way: the group kill still happened.
  }
}
