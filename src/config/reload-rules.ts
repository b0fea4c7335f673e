// What a running gateway can take from a new config and what only a restart can: listening
// sockets, the state directory and store, the shape of the process (execution, Redis), the body
// limit baked into the HTTP parser, the log and audit settings, and a sandbox nobody probed at start.
// A reload that changes any of these is refused as a whole, so the running config never half-applies.
import { isDeepStrictEqual } from 'node:util'
import { agentFor } from './caller-agent.ts'
import type { Config } from './schema.ts'

type Pick = (c: Config) => unknown

const RESTART_ONLY: ReadonlyArray<[string, Pick]> = [
  ['server.host', (c) => c.server.host],
  ['server.port', (c) => c.server.port],
  ['server.trust_proxy', (c) => c.server.trust_proxy],
  ['state_dir', (c) => c.state_dir],
  ['store', (c) => c.store],
  ['execution', (c) => c.execution],
  ['redis', (c) => c.redis],
  ['limits.body_bytes', (c) => c.limits.body_bytes],
  ['limits.run_log_bytes', (c) => c.limits.run_log_bytes],
  ['shutdown_grace', (c) => c.shutdown_grace],
  ['sessions', (c) => c.sessions],
  ['permissions', (c) => c.permissions],
  ['audit', (c) => c.audit],
  ['log', (c) => c.log],
  ['metrics.enabled', (c) => c.metrics.enabled]
]

/** Paths whose change needs a restart, each with why, empty when `next` can be applied live. */
export function restartOnlyChanges (current: Config, next: Config, sandboxReady: boolean): string[] {
  const changed = RESTART_ONLY.filter(([, pick]) => !isDeepStrictEqual(pick(current), pick(next))).map(([path]) => path)
  // bubblewrap is found and probed at start: an agent newly told to use it must wait for that.
  if (!sandboxReady && usesSandbox(next)) changed.push('agent.sandbox (bwrap is probed at start)')
  return changed
}

function usesSandbox (config: Config): boolean {
  return config.agent.sandbox === 'bwrap' || Object.keys(config.callers).some((id) => agentFor(config, id).sandbox === 'bwrap')
}
