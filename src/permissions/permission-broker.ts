// Permission questions of running agents: each becomes a pending request with a short
// id, a `permission` event and (for chat callers) a message; the first answer wins, no answer by
// `expires_at` is a deny, and a run that keeps asking is cut off. Every decision reaches `onDecided`
// (the audit log) exactly once.
import { randomInt } from 'node:crypto'
import type { PermissionDecision } from '../runner/interactive-session.ts'
import type { PermissionQuestion } from '../runner/profiles/profile.ts'
import { summarizeToolInput } from '../runner/tool-summary.ts'
import type { RunState } from '../runs/run-state.ts'

export type DecidedBy = 'http' | 'chat' | 'timeout' | 'limit' | 'policy' | 'run ended' | 'undeliverable'

export interface PendingPermission {
  pid: string
  runId: string
  caller: string
  /** Who may answer from a chat: the user who started the run. */
  user: string | null
  tool: string
  summary: string
  expiresAt: number
}

export interface Decision {
  allow: boolean
  via: DecidedBy
  /** The answering user (chat) or null. */
  by: string | null
  message?: string
}

export type AnswerResult =
  | { kind: 'decided', pending: PendingPermission }
  | { kind: 'not_found' }
  | { kind: 'already', pending: PendingPermission, decision: Decision }
  | { kind: 'forbidden', pending: PendingPermission }

export interface PermissionBrokerOptions {
  timeoutMs: number
  maxPerRun: number
  now: () => number
  onAsked (run: RunState, pending: PendingPermission): void
  onDecided (pending: PendingPermission, decision: Decision): void
  /** An answer refused (another user's question, or one already decided or expired): audited. */
  onRefused (pending: PendingPermission, user: string | null, reason: string): void
}

/** Unambiguous when typed on a phone: no 0/o, 1/l/i. */
const PID_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
const PID_LENGTH = 6
/** Decided requests remembered so a late answer hears "already answered", not "unknown". */
const DECIDED_KEPT = 1000

interface Waiting {
  pending: PendingPermission
  resolve: (d: PermissionDecision) => void
  timer: NodeJS.Timeout
}

export class PermissionBroker {
  readonly #o: PermissionBrokerOptions
  readonly #waiting = new Map<string, Waiting>()
  readonly #decided = new Map<string, { pending: PendingPermission, decision: Decision }>()
  readonly #askedPerRun = new Map<string, number>()

  constructor (options: PermissionBrokerOptions) {
    this.#o = options
  }

  /** Resolves with the decision; never rejects. `policy: 'deny'` refuses without asking anyone. */
  async ask (run: RunState, question: PermissionQuestion, policy: 'ask' | 'deny'): Promise<PermissionDecision> {
    const asked = (this.#askedPerRun.get(run.id) ?? 0) + 1
    this.#askedPerRun.set(run.id, asked)
    const pending: PendingPermission = {
      pid: this.#newPid(),
      runId: run.id,
      caller: run.request.caller,
      user: run.request.user,
      tool: question.tool,
      summary: summarizeToolInput(question.tool, question.input),
      expiresAt: this.#o.now() + this.#o.timeoutMs
    }
    if (policy === 'deny') return this.#decideNow(pending, { allow: false, via: 'policy', by: null, message: `${question.tool} is not allowed for this caller.` })
    if (asked > this.#o.maxPerRun) {
      return this.#decideNow(pending, { allow: false, via: 'limit', by: null, message: `Too many permission requests in this run (limit ${this.#o.maxPerRun}); ${question.tool} was denied without asking.` })
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#decide(pending.pid, { allow: false, via: 'timeout', by: null, message: 'No answer before the request expired.' })
      }, this.#o.timeoutMs)
      timer.unref?.()
      this.#waiting.set(pending.pid, { pending, resolve, timer })
      try { this.#o.onAsked(run, pending) } catch {}
    })
  }

  /**
   * An answer by HTTP (`runId` given: the pid must belong to that run; the caller proved its right
   * with the run's token) or from a chat (`user` given: it must be the user who started the run).
   */
  answer (pid: string, answer: { allow: boolean, message?: string }, from: { via: 'http', runId: string } | { via: 'chat', caller: string, user: string }): AnswerResult {
    const waiting = this.#waiting.get(pid)
    const known = waiting?.pending ?? this.#decided.get(pid)?.pending
    if (known === undefined) return { kind: 'not_found' }
    if (from.via === 'http' && known.runId !== from.runId) return { kind: 'not_found' }
    if (from.via === 'chat' && (known.caller !== from.caller || known.user !== from.user)) {
      // Somebody else's question: refused and audited, and it stays open for its owner.
      try { this.#o.onRefused(known, from.via === 'chat' ? from.user : null, 'answer from a user other than the one who started the run') } catch {}
      return { kind: 'forbidden', pending: known }
    }
    if (waiting === undefined) {
      const decided = this.#decided.get(pid) as { pending: PendingPermission, decision: Decision }
      const why = decided.decision.via === 'timeout' ? 'answer after the request expired' : 'answer after the request was decided'
      try { this.#o.onRefused(decided.pending, from.via === 'chat' ? from.user : null, why) } catch {}
      return { kind: 'already', pending: decided.pending, decision: decided.decision }
    }
    this.#decide(pid, {
      allow: answer.allow,
      via: from.via,
      by: from.via === 'chat' ? from.user : null,
      ...(answer.message !== undefined ? { message: answer.message } : {})
    })
    return { kind: 'decided', pending: waiting.pending }
  }

  /** The open question with this id, if any. */
  pending (pid: string): PendingPermission | null {
    return this.#waiting.get(pid)?.pending ?? null
  }

  /** The question could not be put to anyone (e.g. the chat refused it): denied now. */
  fail (pid: string, message: string): void {
    this.#decide(pid, { allow: false, via: 'undeliverable', by: null, message })
  }

  /** The run is over: its open questions are denied (the agent is gone) and its count forgotten. */
  endRun (runId: string): void {
    for (const { pending } of [...this.#waiting.values()]) {
      if (pending.runId === runId) this.#decide(pending.pid, { allow: false, via: 'run ended', by: null, message: 'The run ended.' })
    }
    this.#askedPerRun.delete(runId)
  }

  #decide (pid: string, decision: Decision): void {
    const waiting = this.#waiting.get(pid)
    if (waiting === undefined) return
    this.#waiting.delete(pid)
    clearTimeout(waiting.timer)
    this.#remember(waiting.pending, decision)
    try { this.#o.onDecided(waiting.pending, decision) } catch {}
    waiting.resolve(decision.allow ? { allow: true } : { allow: false, message: decision.message ?? 'The user denied this.' })
  }

  #decideNow (pending: PendingPermission, decision: Decision): PermissionDecision {
    this.#remember(pending, decision)
    try { this.#o.onDecided(pending, decision) } catch {}
    return { allow: false, message: decision.message ?? 'Denied.' }
  }

  #remember (pending: PendingPermission, decision: Decision): void {
    this.#decided.set(pending.pid, { pending, decision })
    if (this.#decided.size > DECIDED_KEPT) this.#decided.delete(this.#decided.keys().next().value as string)
  }

  #newPid (): string {
    for (;;) {
      let pid = ''
      for (let i = 0; i < PID_LENGTH; i++) pid += PID_ALPHABET[randomInt(PID_ALPHABET.length)]
      if (!this.#waiting.has(pid) && !this.#decided.has(pid)) return pid
    }
  }
}
