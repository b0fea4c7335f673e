// Which agent a caller runs: the global `agent`, changed by the caller's own `agent` keys. A caller
// that switches to another profile without naming a command gets that profile's executable, not the
// global one (a `codex` caller must not start `claude`).
import { profileFor } from '../runner/profiles/index.ts'
import type { AgentConfig, Config } from './schema.ts'

export function agentFor (config: Pick<Config, 'agent' | 'callers'>, callerId: string): AgentConfig {
  const own = config.callers[callerId]?.agent
  if (own === undefined) return config.agent
  const profile = own.profile ?? config.agent.profile
  const command = own.command ?? (profile === config.agent.profile ? config.agent.command : profileFor(profile).defaultCommand)
  // An explicit `idle_timeout` of the caller wins; otherwise the global one, unless the profile changed.
  const idle = own.idle_timeout ?? (profile === config.agent.profile ? config.agent.idle_timeout : undefined)
  const { idle_timeout: _ignored, ...rest } = { ...config.agent, ...own }
  return { ...rest, profile, command, ...(idle === undefined ? {} : { idle_timeout: idle }) }
}
