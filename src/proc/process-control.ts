// The registry's view of agent processes (ProcessControl), on /proc: what to record at spawn, and how
// to stop whatever a run left behind, from that record or, when the gateway died before saving it,
// from the run marker alone.
import type { ProcessControl } from '../runs/registry.ts'
import { killRunProcesses, recordFor } from './run-processes.ts'

export function createProcessControl (): ProcessControl {
  return {
    identify (runId, pid) {
      const record = recordFor(runId, pid)
      return record === null ? null : { pid: record.pid, pgid: record.pgid, startTicks: record.startTicks, bootId: record.bootId }
    },
    kill (runId, record, signal) {
      return killRunProcesses(record === null ? { runId } : { runId, ...record }, signal)
    }
  }
}
