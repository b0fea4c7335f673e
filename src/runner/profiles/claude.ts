// Claude Code headless: `claude -p` with stream-json in both directions, so the prompt,
// steering messages and permission answers all travel over stdin (`--permission-prompt-tool stdio`,
// the control protocol the Agent SDK itself uses), and nothing of the prompt is ever in argv.
import { createClaudeStreamParser } from '../parsers/claude-stream-parser.ts'
import type { AgentProfile, InteractiveProtocol, ProfileInput, SessionPlan } from './profile.ts'

/** stream-json needs --verbose under -p; partial messages give token-by-token text. */
export const CLAUDE_STREAM_FLAGS = ['-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'] as const

/** Prompt and answers on stdin; every tool call that needs approval is asked on stdout. */
export const CLAUDE_INTERACTIVE_FLAGS = ['--input-format', 'stream-json', '--permission-prompt-tool', 'stdio'] as const

/**
 * Settings (and the hooks, plugins and permission rules in them) only from the agent's own config
 * directory, never from `.claude/settings*.json` in the repository, and MCP servers only from our
 * command line (none), never from the repository's `.mcp.json`.
 */
export const CLAUDE_CONTAINMENT_FLAGS = ['--setting-sources', 'user', '--strict-mcp-config'] as const

export const claudeInteractive: InteractiveProtocol = {
  userMessage: (text) => `${JSON.stringify({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' })}\n`,
  permissionAnswer: (question, decision) => `${JSON.stringify({
    type: 'control_response',
    response: {
      subtype: 'success',
      request_id: question.requestId,
      response: decision.allow
        ? { behavior: 'allow', updatedInput: question.input }
        : { behavior: 'deny', message: decision.message }
    }
  })}\n`
}

/**
 * `control_request` without its key: a permission question lost past the cap would leave the agent
 * waiting for an answer, so this errs on matching too much.
 */
export const CLAUDE_KEEP_PAST_CAP: readonly string[] = ['"type":"result"', '"control_request"']

export const claudeProfile: AgentProfile = {
  name: 'claude',
  defaultCommand: 'claude',
  sessions: 'choose',
  defaultIdleSeconds: 0,
  reportsResult: true,
  // The final report, and the permission questions the agent waits on.
  keepPastCap: CLAUDE_KEEP_PAST_CAP,
  // The gateway owns upgrades, and a run should not phone home beyond the model API.
  env: { DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
  interactive: claudeInteractive,
  invocation ({ agent, tools, session, homeDir }) {
    return {
      argv: [
        agent.command,
        ...agent.args,
        ...CLAUDE_STREAM_FLAGS,
        ...CLAUDE_INTERACTIVE_FLAGS,
        ...(agent.trust_repo ? [] : CLAUDE_CONTAINMENT_FLAGS),
        ...claudeSessionFlags(session),
        ...claudeToolFlags(tools)
      ],
      // Transcripts and settings per caller: concurrent callers never share ~/.claude.
      ...(homeDir === null ? {} : { env: { CLAUDE_CONFIG_DIR: homeDir } })
    }
  },
  createParser: createClaudeStreamParser,
  sessionMissing: ({ report, stderrTail }) => /No conversation found with session ID/i.test(`${report?.output ?? ''}\n${stderrTail}`)
}

/** A new session gets the id we chose (so a crash before `init` still leaves a known id); else resume. */
export function claudeSessionFlags (session: SessionPlan | null): string[] {
  if (session === null) return []
  if (session.mode === 'resume') return ['--resume', session.id]
  return session.id === undefined ? [] : ['--session-id', session.id]
}

/** Each list is ONE comma-joined argument, so nothing after it can be mistaken for a tool name. */
export function claudeToolFlags (tools: ProfileInput['tools']): string[] {
  const flags: string[] = []
  if (tools.allow !== undefined && tools.allow.length > 0) flags.push('--allowedTools', tools.allow.join(','))
  if (tools.deny !== undefined && tools.deny.length > 0) flags.push('--disallowedTools', tools.deny.join(','))
  return flags
}
