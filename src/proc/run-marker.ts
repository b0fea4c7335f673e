// The run marker: every agent process gets HOOKGATE_RUN_ID=<run id> in its environment. Children
// inherit the environment through fork, exec and setsid, so the marker still finds a descendant that
// left the process group, where a group kill cannot reach. It is not a secret.
// A process that deliberately execs with a cleaned environment (env -i) drops it; only a PID
// namespace or cgroup contains such a process, which is why the group stays the first line.

export const RUN_MARKER_VAR = 'HOOKGATE_RUN_ID'

/**
 * Printable ASCII without spaces, up to 200 characters: anything else is a caller bug. An empty id
 * would match every process marked with an empty value, and a NUL cannot be in an environment at all.
 */
export function assertRunId (runId: string): void {
  if (!/^[\x21-\x7e]{1,200}$/.test(runId)) throw new RangeError('run id must be 1 to 200 printable ASCII characters without spaces')
}

/** The variable to add to an agent's environment; it must win over any variable of the same name. */
export function runMarkerEnv (runId: string): Record<string, string> {
  assertRunId(runId)
  return { [RUN_MARKER_VAR]: runId }
}
