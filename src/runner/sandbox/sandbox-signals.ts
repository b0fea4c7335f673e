// Under bwrap the launched process is bwrap's monitor, not the agent, and --new-session puts the
// sandbox (its init and the agent) in a session and group of its own. A SIGTERM to the monitor's group
// kills the monitor, and --die-with-parent then SIGKILLs the whole sandbox at once: the agent would
// never see the SIGTERM and the grace period would be lost. So a gentle signal goes to the sandbox's
// group instead, where the agent can act on it (the init in front of it, PID 1 of the namespace,
// ignores it); SIGKILL still goes to the monitor, which takes the whole namespace down with it.
import { isDead, listProcesses } from '../../proc/process-table.ts'
import type { LaunchedProcess } from '../launcher.ts'

/** `child` is the launched bwrap (optionally already wrapped, e.g. by the run sweep). */
export function withSandboxSignals (child: LaunchedProcess): LaunchedProcess {
  return {
    // Spread, so every other member of the interface (stdin, …) passes through unchanged.
    ...child,
    killGroup (signal) {
      const group = signal === 'SIGKILL' ? null : sandboxGroup(child.pid)
      // Not set up yet, or already gone: stopping the monitor is all there is to do.
      if (group === null) {
        child.killGroup(signal)
        return
      }
      try {
        process.kill(-group, signal)
      } catch {
        // ESRCH: the sandbox ended meanwhile, which is what we wanted.
      }
    }
  }
}

/**
 * The monitor's only child is the namespace's init, which leads the sandbox's group once bwrap's
 * setsid has run. Matching the parent too keeps a reused pid from naming a stranger: the monitor is
 * our child and not yet reaped, so its pid is still its own.
 */
function sandboxGroup (monitorPid: number | undefined): number | null {
  if (monitorPid === undefined || monitorPid <= 0) return null
  const init = listProcesses().find((entry) => entry.ppid === monitorPid && entry.pgid === entry.pid && !isDead(entry))
  return init === undefined ? null : init.pid
}
