// Any program as the agent: its argv comes from the config, stdout lines are its answer, stderr is logged.
import type { AgentEvent } from '../agent-event.ts'
import type { AgentInvocation, AgentProfile, OutputParser, ProfileInput } from './profile.ts'

/** An argv element exactly equal to this becomes the prompt, as one argument. */
export const PROMPT_PLACEHOLDER = '{prompt}'

export const commandProfile: AgentProfile = {
  // A plain program has no tool mechanism: rules for it would be silently ignored, so they are refused.
  toolProblems: (tools) => [...(tools.allow ?? []), ...(tools.deny ?? [])].length > 0
    ? ['the command profile runs a plain program with no tool mechanism; remove the tool rules or use an agent profile']
    : [],
  name: 'command',
  defaultCommand: 'command',
  sessions: 'none',
  defaultIdleSeconds: 0,
  reportsResult: false,
  mergeText: true,
  invocation: commandInvocation,
  createParser: createCommandParser
}

/**
 * `agent.argv` with every "{prompt}" element replaced by the prompt. Without such an element the prompt
 * goes on stdin, which suits filters (`llm`, `jq`, scripts reading stdin). An empty `argv` falls back
 * to `[command, ...args]`. Only whole elements are replaced: "--msg={prompt}" stays literal, so the
 * prompt can never be spliced into another argument.
 */
export function commandInvocation ({ agent, prompt }: ProfileInput): AgentInvocation {
  const template = agent.argv.length > 0 ? agent.argv : [agent.command, ...agent.args]
  if (!template.includes(PROMPT_PLACEHOLDER)) return { argv: [...template], input: prompt }
  return { argv: template.map((arg) => (arg === PROMPT_PLACEHOLDER ? prompt : arg)) }
}

/** Each stdout line is text, with its newline back so consecutive events concatenate to the output. */
export function createCommandParser (): OutputParser {
  return {
    line: (line): AgentEvent[] => [{ type: 'text', data: { text: `${line}\n` } }],
    session: () => null,
    report: () => null
  }
}
