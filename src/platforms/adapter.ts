// One interface for every chat and automation platform. A platform adapter knows its
// platform's payloads and APIs and nothing else: the webhook route verifies the request (src/verify),
// asks the adapter what the request says (`parse`), runs the messages through the same policy and
// registry as every caller, asks the adapter how to answer the webhook (`answer`), and the delivery
// service later sends the result through the adapter (`deliver`, `progress`).
// src/platforms/index.ts is the single place where a scheme name maps to its adapter.
import type { IncomingHttpHeaders } from 'node:http'
import type { CallerConfig } from '../config/schema.ts'
import type { Run } from '../schemas/run.ts'
import type { Outbound } from '../delivery/outbound.ts'

export type PlatformScheme = 'twilio' | 'line' | 'teams' | 'slack' | 'telegram' | 'discord' | 'github'

export const PLATFORM_SCHEMES: readonly PlatformScheme[] = ['twilio', 'line', 'teams', 'slack', 'telegram', 'discord', 'github']

export function isPlatformScheme (scheme: string): scheme is PlatformScheme {
  return (PLATFORM_SCHEMES as readonly string[]).includes(scheme)
}

/**
 * Where and how to answer one message later (a chat id, a response_url, a reply token and when it
 * was received, …). JSON only: it is stored with the run, so a restarted gateway can still deliver.
 * Never holds a caller secret or bot token: those are read from the config at delivery time.
 */
export type ReplyTarget = { [key: string]: string | number | boolean | null }

/** One message a platform request carries (LINE can carry several in one request). */
export interface InboundMessage {
  /** What the user wrote, platform noise removed (mentions, `@botname`); `/name args` selects a command. */
  text: string
  /** The platform's user id, checked against the caller's `users`. */
  user: string
  /** Conversation key (chat, channel or thread), or null. */
  thread: string | null
  /** The platform's signed id of this event: a redelivery carries the same one, so it never runs twice. */
  eventId: string
  target: ReplyTarget
  /**
   * Set when the request is not a chat message but an event with its own prompt (GitHub: a failed
   * workflow rendered through the caller's `prompt` template). Runs as `command` with this prompt,
   * without command parsing; the global policy still applies to the prompt.
   */
  direct?: { command: string, prompt: string }
}

export interface InboundRequest {
  /** The verified body, exactly as received. */
  rawBody: Buffer
  headers: IncomingHttpHeaders
  callerId: string
  caller: CallerConfig
  /** Wall clock, ms. */
  now: number
}

/** The HTTP answer to the platform's webhook request. */
export interface HttpAnswer {
  status: number
  headers?: Record<string, string>
  /** Sent as is; `contentType` in headers says what it is. Absent: empty body. */
  body?: string
}

export type ParseResult =
  | { kind: 'messages', messages: InboundMessage[] }
  /**
   * Not something to run (LINE follow, Slack bot echo, GitHub ping, Discord PING, Slack url_verification):
   * answered with `answer` (default: the adapter's empty acknowledgement), audited with `reason`.
   */
  | { kind: 'ignore', reason: string, answer?: HttpAnswer }
  /** Verified but not a payload this platform sends: 400, audited with `reason`. */
  | { kind: 'invalid', reason: string }

/** What became of one message, for the webhook answer. */
export type Reaction =
  /** A run was accepted and is still going: its result follows by delivery. */
  | { kind: 'accepted', run: Run }
  /** A run finished within `syncWaitMs`: `parts` is its result, already split for this platform. */
  | { kind: 'finished', run: Run, parts: string[] }
  /** A redelivery of a message that already has a run: nothing new happens. */
  | { kind: 'replayed', run: Run }
  /** A built-in's answer or a request for confirmation. */
  | { kind: 'notice', text: string }
  /** Refused (policy, rate limit, busy, user not allowed): `text` says why, politely. */
  | { kind: 'refused', text: string }

export interface MessageLimits {
  /** Longest message the platform takes, counted in `unit`. */
  chars: number
  /** LINE and Telegram count UTF-16 code units; the others code points. */
  unit: 'utf16' | 'codepoint'
  /** Messages one result may use; beyond it the last one links to the run instead. */
  maxMessages: number
}

/** Delivery state saved after each step, so a retried delivery resumes instead of repeating. JSON only. */
export interface DeliveryProgress {
  /** Parts already sent. */
  sent: number
  [key: string]: unknown
}

export interface DeliveryContext {
  http: Outbound
  /** Stable across retries of the same delivery (e.g. for LINE's X-Line-Retry-Key, a UUID). */
  deliveryId: string
  callerId: string
  /** The caller's config: `reply` settings and `secrets` (e.g. the Twilio auth token). */
  caller: CallerConfig
  /** Records progress durably before the next step. */
  save (progress: DeliveryProgress): Promise<void>
  now (): number
}

/** A permission question for the chat the run came from. */
export interface PermissionAsk {
  /** Short id the user answers with: `/allow <pid>` or `/deny <pid>`. */
  pid: string
  runId: string
  /** The tool's name as the agent calls it (`Bash`, `Edit`, …). */
  tool: string
  /** What it will do: the command, path or URL, one line, ≤ 200 chars. */
  summary: string
  /** RFC 3339; no answer by then is a deny. */
  expiresAt: string
  /** The whole question as plain text with both commands (src/delivery/permission-text.ts), for platforms without buttons. */
  text: string
}

export interface PlatformAdapter {
  readonly scheme: PlatformScheme
  readonly limits: MessageLimits
  /**
   * How long the webhook answer may wait for a run to finish so its result goes in the answer
   * itself (Twilio TwiML, Teams activity); 0 acknowledges at once. Kept well inside the deadline.
   */
  readonly syncWaitMs: number
  /**
   * True when text in the webhook answer reaches the user (Twilio, Teams, Slack, Discord, Telegram).
   * False (LINE, GitHub): notices and refusals are sent with `deliver` instead.
   */
  readonly answerVisible: boolean
  /** Where it depends on the request (Slack: a slash command's answer is shown, an Events API answer is not). */
  answerShows? (req: InboundRequest): boolean
  /**
   * How many of a finished run's `parts` the webhook answer carries (default: all). The rest is
   * delivered as usual, starting after them (Teams: an answer has a size limit).
   */
  partsInAnswer? (parts: string[]): number
  /** Reads the verified request. Never throws: a malformed payload is `invalid`. */
  parse (req: InboundRequest): ParseResult
  /** The webhook answer, once every message of the request has its reaction (same order as parsed). */
  answer (reactions: Reaction[], req: InboundRequest): HttpAnswer
  /**
   * Sends `parts` (already split to `limits`) as the reply to `target`. Resumable: starts after
   * `progress.sent` and calls `ctx.save` after each part. Throws DeliveryError (src/delivery/outbound.ts)
   * when the platform refuses or cannot be reached; the delivery service retries.
   */
  deliver (ctx: DeliveryContext, target: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void>
  /**
   * Optional live view while the run works (Telegram edits one message in place). `text` is what
   * the agent has written so far, already cut to one message. Called at most every `progressIntervalMs`.
   */
  progress? (ctx: DeliveryContext, target: ReplyTarget, text: string, progress: DeliveryProgress): Promise<void>
  readonly progressIntervalMs?: number
  /** True when `progress` is a keep-alive (LINE's loading animation): called every interval even if the text is unchanged. */
  readonly progressKeepsAlive?: boolean
  /**
   * Sends a permission question with Allow and Deny buttons where the platform has them. A press
   * must come back through `parse` as a message from the pressing user whose text is exactly
   * `/allow <pid>` or `/deny <pid>` (its eventId the platform's id of the press), so it takes the same
   * path as typed commands. Absent: the gateway sends `ask.text` with `deliver`.
   * Throws DeliveryError like `deliver`.
   */
  askPermission? (ctx: DeliveryContext, target: ReplyTarget, ask: PermissionAsk): Promise<void>
}
