// Which agents a configuration will actually start, and for which callers: the global `agent` for every
// caller without its own (or for nobody yet, when there are no callers), and each caller's own agent
// with the global keys it inherits. The same selection `hookgate check` makes.
import { agentFor } from '../config/caller-agent.ts'
import { childPointer } from '../config/problems.ts'
import type { AgentConfig, Config } from '../config/schema.ts'

export interface AgentUse {
  /** JSON pointer of the agent section: `/agent` or `/callers/<id>/agent`. */
  readonly pointer: string
  readonly agent: AgentConfig
  /** Callers whose runs start this agent; empty for a global agent with no callers yet. */
  readonly callers: readonly string[]
}

export function agentsInUse (config: Pick<Config, 'agent' | 'callers'>): AgentUse[] {
  const ids = Object.keys(config.callers)
  const inheriting = ids.filter((id) => config.callers[id]?.agent === undefined)
  const uses: AgentUse[] = []
  if (ids.length === 0 || inheriting.length > 0) uses.push({ pointer: '/agent', agent: config.agent, callers: inheriting })
  for (const id of ids) {
    if (config.callers[id]?.agent !== undefined) uses.push({ pointer: `${childPointer('/callers', id)}/agent`, agent: agentFor(config, id), callers: [id] })
  }
  return uses
}

/** The executable an agent starts: `argv[0]` for profile `command`, else `command`. */
export function executableOf (agent: AgentConfig): string {
  return agent.profile === 'command' ? agent.argv[0] ?? '' : agent.command
}

/** "the global agent (used by a, b)" or "caller review's agent", for messages. */
export function describeUse (use: AgentUse): string {
  if (use.pointer !== '/agent') return `caller ${use.callers[0] ?? '?'}'s agent`
  return use.callers.length === 0 ? 'the global agent' : `the global agent (used by ${use.callers.join(', ')})`
}
