// What differs between agent CLIs: how the command line is built, how the output is read, how a
// session is continued and how tool rules are expressed. The runner around a profile (process,
// timeouts, caps, permission answers, steering, outcome) is the same for every agent.
import type { AgentConfig } from '../../config/schema.ts'
import type { AgentEvent } from '../agent-event.ts'

/**
 * Linux refuses a single argv element of 128 KiB or more (E2BIG). Prompts above this
 * go on stdin instead, with a margin for multi-byte characters and the rest of the command line.
 */
export const ARGV_PROMPT_MAX_BYTES = 100_000

/** Tool rules in hookgate's syntax (Claude Code's: `Read`, `Bash(git status:*)`); a deny always wins. */
export interface ToolRules {
  allow?: readonly string[]
  deny?: readonly string[]
}

/**
 * Which session the run works in. `new` with an `id`: the profile chose `sessions: 'choose'` and the
 * gateway picked this UUID for the new session; `new` without one: the CLI names it (`reveal`).
 */
export type SessionPlan = { mode: 'new', id?: string } | { mode: 'resume', id: string }

export interface ProfileInput {
  agent: AgentConfig
  prompt: string
  tools: ToolRules
  /** Null: a one-shot run (no continuity wanted; the profile may still let the CLI keep a transcript). */
  session: SessionPlan | null
  /**
   * A directory for this run only (removed afterwards): where `files` of the invocation are written.
   * Absolute.
   */
  scratchDir: string
  /**
   * The agent's own state directory for this caller (`agent.state: per_caller`), absolute and existing;
   * null when the agent uses the home of the user hookgate runs as (`shared`).
   */
  homeDir: string | null
}

export interface AgentInvocation {
  /** argv[0] is the executable. */
  argv: string[]
  /** Sent on stdin, which is then closed; absent means stdin is /dev/null (or the interactive channel). */
  input?: string
  /** Files written into `scratchDir` before the start (name → content), e.g. a policy file. */
  files?: Record<string, string>
  /** Variables added after the allowlist for this run (e.g. CODEX_HOME), on top of the profile's `env`. */
  env?: Record<string, string>
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

/** A tool call the agent asks the host about (Claude's `can_use_tool` control request). */
export interface PermissionQuestion {
  /** The agent's id for this question, echoed in the answer. */
  requestId: string
  tool: string
  input: unknown
  toolUseId: string | null
}

/**
 * What a parser reads from one line: events for the stream, and for interactive profiles the
 * control signals the runner acts on (never published as they are).
 */
export type ParsedItem =
  | AgentEvent
  | { type: 'permission_request', data: PermissionQuestion }
  /** The agent finished answering one user message (Claude's `result` line in stream-json input mode). */
  | { type: 'turn_end' }

/** Reads one run's stdout, line by line; stderr never reaches it (the runner logs stderr itself). */
export interface OutputParser {
  /** Items for one stdout line (without its newline). */
  line (line: string): ParsedItem[]
  /** The session id the agent revealed, if any. */
  session (): string | null
  /**
   * The agent's own final report, or null when it never gave one. Profiles whose CLI has no final
   * line (OpenCode) build it here from what they saw, once the process has exited.
   */
  report (exitCode: number | null): AgentReport | null
}

/**
 * How an interactive profile talks to the running agent over stdin (kept open): the prompt and
 * steering messages as user messages, and answers to permission questions.
 */
export interface InteractiveProtocol {
  /** One stdin line (with its newline) carrying a user message. */
  userMessage (text: string): string
  /** One stdin line answering `question`. `input` is passed back unchanged when allowed. */
  permissionAnswer (question: PermissionQuestion, decision: { allow: true } | { allow: false, message: string }): string
}

export interface AgentProfile {
  readonly name: string
  /** The executable when `agent.command` is not set. */
  readonly defaultCommand: string
  /** True when only the agent's own successful report makes a run succeed; exit 0 alone is not enough. */
  readonly reportsResult: boolean
  /**
   * `choose`: the gateway picks a new session's UUID and passes it (`--session-id`); `reveal`: the CLI
   * names the session in its output; `none`: no continuity.
   */
  readonly sessions: 'choose' | 'reveal' | 'none'
  /** Seconds without output before a run is stopped, when `agent.idle_timeout` is not set; 0 = off. */
  readonly defaultIdleSeconds: number
  /** Added to the agent's environment after the allowlist. */
  readonly env?: Readonly<Record<string, string>>
  /** Present when stdin stays open for the prompt, steering and permission answers. */
  readonly interactive?: InteractiveProtocol
  /**
   * Once `max_output_bytes` is reached the rest of the output is dropped before it reaches the
   * gateway, except stdout lines containing one of these (compact JSON, as the CLI writes it): what
   * the parser needs for the final report and what the agent waits on (a permission question). The
   * last lines of each stream (about 8 KiB) are kept too.
   */
  readonly keepPastCap?: readonly string[]
  /**
   * The text events of one piece of output go out as one event. For plain programs, whose every
   * stdout line is text: a flood of short lines would otherwise cost an event (and a stored row)
   * per line.
   */
  readonly mergeText?: boolean
  invocation (input: ProfileInput): AgentInvocation
  createParser (): OutputParser
  /**
   * True when a run that resumed a session failed because the CLI no longer has that session
   * (deleted, expired, another machine): the runner then starts a fresh one.
   */
  sessionMissing? (facts: { report: AgentReport | null, stderrTail: string, exitCode: number | null }): boolean
  /**
   * Why these tool rules cannot be enforced by this agent (each a sentence), for the config check.
   * Empty when every rule maps onto the agent's own mechanism.
   */
  toolProblems? (tools: ToolRules): string[]
}

export function fitsInArgv (prompt: string): boolean {
  return Buffer.byteLength(prompt, 'utf8') <= ARGV_PROMPT_MAX_BYTES
}
