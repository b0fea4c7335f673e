// One run as the registry holds it: the public run object, its event log (and the pages of it read
// back from the store), its token hash and the controller that cancels it. The run belongs to the
// registry, never to the HTTP request that made it.
import { timingSafeEqual } from 'node:crypto'
import type { PermissionEvent, Run, RunEvent, RunStatus } from '../schemas/run.ts'
import { FINAL_STATUSES } from '../schemas/run.ts'
import type { AgentEvent, AgentOutcome } from '../runner/agent-event.ts'
import { EventLog, type EventLogOptions } from './event-log.ts'
import { jsonOf, knownJsonOf } from './event-json.ts'
import { keepRunJson, type OutputJson } from './result-json.ts'
import { StoredPages } from './stored-pages.ts'
import { hashToken } from './ids.ts'
import type { PlatformScheme, ReplyTarget } from '../platforms/adapter.ts'

/** What an accepted request asks the agent to do. */
export interface RunRequest {
  caller: string
  user: string | null
  thread: string | null
  command: string
  prompt: string
  tools: { allow: string[], deny: string[] }
  /** Platform callers: where the result goes back to (stored with the run, so a restart can still deliver). */
  reply?: { scheme: PlatformScheme, target: ReplyTarget }
  /** The project (a name under `projects:`) whose directory the agent works in; absent: `agent.cwd`. */
  project?: string | null
  /**
   * The conversation this run continues (src/sessions/session-key.ts); runs with the same key never
   * run at once. Null or absent: a one-shot run.
   */
  sessionKey?: string | null
  /** `console`: started by the admin from the browser console (POST /v1/admin/runs), not by the caller. */
  via?: 'console'
}

export interface RunStateInit {
  run: Run
  request: RunRequest
  tokenHash: Buffer
  limits: EventLogOptions
  /** Seq the first new event gets (1 for a new run). */
  nextSeq?: number
  /** Called with every event as it is appended, in order (the registry persists them). */
  onAppend?: (event: RunEvent) => void
  /**
   * `run` is a fresh copy nobody else holds (just read from the store): kept as it is. Copying it
   * again cost a 10 MiB answer 16 ms and another 10 MiB on every read of a finished run.
   */
  adopt?: boolean
}

/** Events per page read back from the store: what one stream reads at a time. */
export const STORED_PAGE = 256

export class RunState {
  readonly request: RunRequest
  readonly log: EventLog
  /** Its events read back from the store for readers behind the log, shared by them. */
  readonly stored: StoredPages
  readonly controller = new AbortController()
  readonly #tokenHash: Buffer
  #run: Run
  #settle!: () => void
  #settled = false
  /** Resolves when the run is final and its final state has been recorded (audit and store). */
  readonly finished: Promise<void>

  /** A new run, `queued`, whose first event is the run object. */
  static create (id: string, request: RunRequest, token: string, now: Date, demo: boolean, limits: EventLogOptions, onAppend?: (e: RunEvent) => void): RunState {
    const run: Run = {
      id,
      caller: request.caller,
      user: request.user,
      thread: request.thread,
      command: request.command,
      status: 'queued',
      created_at: now.toISOString(),
      started_at: null,
      finished_at: null,
      duration_ms: null,
      exit_code: null,
      output: '',
      truncated: false,
      error: null,
      session: null,
      cost_usd: null,
      turns: null,
      ...(demo ? { demo: true } : {}),
      ...(request.project != null ? { project: request.project } : {}),
      links: {
        self: `/v1/runs/${id}`,
        events: `/v1/runs/${id}/events`,
        cancel: `/v1/runs/${id}/cancel`
      }
    }
    const state = new RunState({ run, request, tokenHash: hashToken(token), limits, ...(onAppend !== undefined ? { onAppend } : {}) })
    state.#append({ event: 'run', data: state.snapshot() })
    return state
  }

  readonly #onAppend: ((e: RunEvent) => void) | undefined
  #result: Run | undefined

  constructor (init: RunStateInit) {
    this.request = init.request
    this.log = new EventLog(init.limits, init.nextSeq ?? 1)
    this.stored = new StoredPages(STORED_PAGE, init.limits.maxBytes)
    this.#tokenHash = init.tokenHash
    this.#onAppend = init.onAppend
    this.finished = new Promise((resolve) => { this.#settle = resolve })
    this.#run = init.adopt === true ? init.run : structuredClone(init.run)
    if (this.isFinal) this.settle()
  }

  get id (): string { return this.#run.id }
  get status (): RunStatus { return this.#run.status }
  get isFinal (): boolean { return FINAL_STATUSES.has(this.#run.status) }
  /** Final and recorded (audit and store): `finished` has resolved. */
  get settled (): boolean { return this.#settled }

  /** A copy of the public run object (never the token). */
  snapshot (): Run {
    return { ...this.#run, links: { ...this.#run.links } }
  }

  tokenMatches (candidate: string): boolean {
    return timingSafeEqual(hashToken(candidate), this.#tokenHash)
  }

  get tokenHash (): string {
    return this.#tokenHash.toString('hex')
  }

  markRunning (now: Date): void {
    this.#run.status = 'running'
    this.#run.started_at = now.toISOString()
    this.#append({ event: 'run', data: this.snapshot() })
  }

  record (e: AgentEvent): void {
    if (this.isFinal) return
    if (e.type === 'session') this.#run.session = e.data.session
    this.#append({ event: e.type, data: e.data } as Parameters<EventLog['append']>[0])
  }

  /**
   * Moves the run to its final status and appends the one `result` event. Idempotent. `finished`
   * resolves only at `settle()`, once the registry has recorded the outcome.
   */
  finish (outcome: Pick<AgentOutcome, 'status'> & Partial<AgentOutcome> | { status: 'interrupted' | 'cancelled', error: string }, now: Date): void {
    if (this.isFinal) return
    const run = this.#run
    run.status = outcome.status
    run.finished_at = now.toISOString()
    if (run.started_at !== null) run.duration_ms = Math.max(0, now.getTime() - Date.parse(run.started_at))
    if ('exit_code' in outcome && outcome.exit_code !== undefined) run.exit_code = outcome.exit_code
    if ('output' in outcome && outcome.output !== undefined) run.output = outcome.output
    if ('truncated' in outcome && outcome.truncated !== undefined) run.truncated = outcome.truncated
    if (outcome.error !== undefined) run.error = outcome.error
    if ('session' in outcome && outcome.session) run.session = outcome.session
    if ('cost_usd' in outcome && outcome.cost_usd !== undefined) run.cost_usd = outcome.cost_usd
    if ('turns' in outcome && outcome.turns !== undefined) run.turns = outcome.turns
    if ('notice' in outcome && outcome.notice !== undefined) run.notice = outcome.notice
  }

  /** A permission question of the agent, on the run's stream. */
  recordPermission (data: PermissionEvent): void {
    if (this.isFinal) return
    this.#append({ event: 'permission', data })
  }

  /**
   * Appends the `result` event of a final run (after its outcome was audited). `ahead`: the JSON of
   * its answer, made beforehand (src/runs/result-json.ts).
   */
  publishResult (ahead: OutputJson | null = null): void {
    if (!this.isFinal || this.log.closed) return
    this.#result = this.snapshot()
    if (ahead !== null) keepRunJson(this.#result, ahead)
    this.#append({ event: 'result', data: this.#result })
  }

  /**
   * The run object its `result` event carries, once published (never to be changed: it is the
   * event's data, whose JSON is made once for the event and the stored row alike); else a snapshot.
   */
  finalSnapshot (): Run {
    return this.#result ?? this.snapshot()
  }

  /**
   * The JSON of the final run as its `result` event and stored row have it (made once for both, or
   * read back from the store): answering with it spares serialising a large answer again for every
   * request that reads the run. Null while the run is not final, or its JSON is not at hand.
   */
  finalJson (): string | null {
    if (this.#result !== undefined) return jsonOf(this.#result)
    // Only a run that was final when read is never changed, and only it carries its stored text.
    return this.isFinal ? knownJsonOf(this.#run) ?? null : null
  }

  /**
   * A newer copy of a run another process executes (read from the shared store): taken over, and
   * settled when it is final. Never applied to a run this process executes.
   */
  refresh (stored: Run): void {
    if (this.isFinal) return
    this.#run = structuredClone(stored)
    if (this.isFinal) this.settle()
  }

  settle (): void {
    if (this.#settled) return
    this.#settled = true
    this.#settle()
  }

  #append (entry: Parameters<EventLog['append']>[0]): void {
    const event = this.log.append(entry)
    this.#onAppend?.(event)
  }
}
