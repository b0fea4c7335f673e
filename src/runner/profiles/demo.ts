// The built-in demo agent (quick start without Claude Code): a script that speaks Claude's stream-json,
// so the same parser, events and outcome rules are exercised as with the real CLI.
import { fileURLToPath } from 'node:url'
import { createClaudeStreamParser } from '../parsers/claude-stream-parser.ts'
import { CLAUDE_KEEP_PAST_CAP } from './claude.ts'
import { fitsInArgv, type AgentProfile } from './profile.ts'

export const DEMO_AGENT_PATH = fileURLToPath(new URL('../demo-agent.ts', import.meta.url))

export const demoProfile: AgentProfile = {
  name: 'demo',
  defaultCommand: 'demo',
  sessions: 'none',
  defaultIdleSeconds: 0,
  reportsResult: true,
  keepPastCap: CLAUDE_KEEP_PAST_CAP,
  invocation ({ prompt }) {
    // The running Node binary by absolute path: the agent's PATH may not contain it.
    const argv = [process.execPath, DEMO_AGENT_PATH]
    return fitsInArgv(prompt) ? { argv: [...argv, '--', prompt] } : { argv, input: prompt }
  },
  createParser: createClaudeStreamParser
}
