// What differs between agent CLIs: how the command line is built and how the output is read. The
// runner around a profile (process, timeouts, caps, outcome) is the same for every agent.
import type { AgentConfig } from '../../config/schema.ts'
import type { AgentEvent } from '../agent-event.ts'

/**
 * Linux refuses a single argv element of 128 KiB or more (E2BIG, agents.md §2.11). Prompts above this
 * go on stdin instead, with a margin for multi-byte characters and the rest of the command line.
 */
export const ARGV_PROMPT_MAX_BYTES = 100_000

export interface ProfileInput {
  agent: AgentConfig
  prompt: string
  /** Tool rules in the agent's own syntax; deny wins over allow inside the agent. */
  tools: { allow?: readonly string[], deny?: readonly string[] }
}

export interface AgentInvocation {
  /** argv[0] is the executable. */
  argv: string[]
  /** Sent on stdin, which is then closed; absent means stdin is /dev/null. */
  input?: string
}

/** What the agent said about its own run, from its final structured line. */
export interface AgentReport {
  ok: boolean
  /** The answer, or the errors it reported. */
  output: string
  session: string | null
  cost_usd: number | null
  turns: number | null
}

/** Reads one run's stdout, line by line; stderr never reaches it (the runner logs stderr itself). */
export interface OutputParser {
  /** Events for one stdout line (without its newline). */
  line (line: string): AgentEvent[]
  /** The session id the agent revealed, if any. */
  session (): string | null
  /** The agent's own final report, or null when it never gave one. */
  report (): AgentReport | null
}

export interface AgentProfile {
  /** True when only the agent's own successful report makes a run succeed; exit 0 alone is not enough. */
  readonly reportsResult: boolean
  /** Added to the agent's environment after the allowlist. */
  readonly env?: Readonly<Record<string, string>>
  invocation (input: ProfileInput): AgentInvocation
  createParser (): OutputParser
}

export function fitsInArgv (prompt: string): boolean {
  return Buffer.byteLength(prompt, 'utf8') <= ARGV_PROMPT_MAX_BYTES
}
