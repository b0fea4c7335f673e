// Claude Code headless: `claude -p` with the stream-json output the parser reads (agents.md §2.3).
import { createClaudeStreamParser } from '../claude-stream-parser.ts'
import { fitsInArgv, type AgentProfile, type ProfileInput } from './profile.ts'

/** stream-json needs --verbose under -p; partial messages give token-by-token text. */
export const CLAUDE_STREAM_FLAGS = ['-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'] as const

export const claudeProfile: AgentProfile = {
  reportsResult: true,
  // The gateway owns upgrades, and a run should not phone home beyond the model API.
  env: { DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
  invocation ({ agent, prompt, tools }) {
    const argv = [agent.command, ...agent.args, ...CLAUDE_STREAM_FLAGS, ...claudeToolFlags(tools)]
    // `--` ends the variadic tool flags, which would otherwise swallow the prompt, and keeps a prompt
    // starting with "-" from being read as an option.
    return fitsInArgv(prompt) ? { argv: [...argv, '--', prompt] } : { argv, input: prompt }
  },
  createParser: createClaudeStreamParser
}

/** Each list is ONE comma-joined argument, so nothing after it can be mistaken for a tool name. */
export function claudeToolFlags (tools: ProfileInput['tools']): string[] {
  const flags: string[] = []
  if (tools.allow !== undefined && tools.allow.length > 0) flags.push('--allowedTools', tools.allow.join(','))
  if (tools.deny !== undefined && tools.deny.length > 0) flags.push('--disallowedTools', tools.deny.join(','))
  return flags
}
