// Every run of this gateway instance: admission (concurrency and queue limits), idempotency,
// execution through an injected executor, cancellation, and bounded retention of finished runs.
import type { AgentEvent, AgentOutcome } from '../runner/agent-event.ts'
import type { Run, RunStatus } from '../schemas/run.ts'
import { IdempotencyIndex } from './idempotency-index.ts'
import { newRunId, newRunToken } from './ids.ts'
import { RunState, type RunRequest } from './run-state.ts'

export interface Executor {
  (run: RunState, ctx: { signal: AbortSignal, onEvent: (e: AgentEvent) => void, onSpawn: (pid: number) => void }): Promise<AgentOutcome>
}

export interface RegistryHooks {
  onAccepted?: (run: RunState) => void
  onStarted?: (run: RunState, pid: number) => void
  onFinished?: (run: RunState) => void
}

export interface RegistryOptions {
  concurrency: number
  queue: number
  demo: boolean
  execute: Executor
  now?: () => number
  hooks?: RegistryHooks
  /** Finished runs kept in memory for GET /v1/runs/{id}. */
  retainFinished?: number
  /** Bounds of each run's event log. */
  eventLog?: { maxEvents: number, maxBytes: number }
  /**
   * Bytes of event logs kept for all finished runs together. Past it, the oldest finished runs keep
   * only their result (a late reader gets `reset` and the result), so many large runs cannot add up.
   */
  finishedLogBytes?: number
}

export type AcceptResult =
  | { kind: 'accepted', run: RunState, token: string }
  | { kind: 'replayed', run: RunState }
  | { kind: 'overloaded', reason: string }

export class RunRegistry {
  readonly #opts: Required<Omit<RegistryOptions, 'hooks'>> & { hooks: RegistryHooks }
  readonly #runs = new Map<string, RunState>()
  readonly #waiting: RunState[] = []
  readonly #finishedOrder: string[] = []
  /** Finished runs whose logs still hold more than their result, oldest first, and their total size. */
  readonly #fullLogs: RunState[] = []
  #fullLogBytes = 0
  readonly #idempotency: IdempotencyIndex
  #running = 0
  #draining = false

  constructor (opts: RegistryOptions) {
    this.#opts = {
      now: Date.now,
      retainFinished: 10_000,
      eventLog: { maxEvents: 20_000, maxBytes: 8 * 1024 * 1024 },
      finishedLogBytes: 64 * 1024 * 1024,
      hooks: {},
      ...opts
    }
    this.#idempotency = new IdempotencyIndex({ ttlMs: 7 * 24 * 3600 * 1000, maxKeys: 1_000_000, now: this.#opts.now })
  }

  get running (): number { return this.#running }
  get queued (): number { return this.#waiting.length }
  get draining (): boolean { return this.#draining }

  /** The run an idempotency key already created, if any. */
  findReplay (keys: readonly string[]): RunState | null {
    const id = this.#idempotency.find(keys)
    return id === null ? null : this.#runs.get(id) ?? null
  }

  /**
   * Admits a run, or says why not. Synchronous on purpose: the replay check and the insert happen
   * in one step, so two concurrent deliveries of the same request can never both start a run.
   */
  accept (request: RunRequest, idempotencyKeys: readonly string[]): AcceptResult {
    const existing = this.findReplay(idempotencyKeys)
    if (existing !== null) return { kind: 'replayed', run: existing }
    if (this.#draining) return { kind: 'overloaded', reason: 'shutting down' }
    const slotFree = this.#running < this.#opts.concurrency
    if (!slotFree && this.#waiting.length >= this.#opts.queue) {
      return { kind: 'overloaded', reason: `${this.#running} runs running and ${this.#waiting.length} queued` }
    }
    const now = this.#opts.now()
    const token = newRunToken()
    const run = new RunState(newRunId(now), request, token, new Date(now), this.#opts.demo, this.#opts.eventLog)
    this.#runs.set(run.id, run)
    this.#idempotency.remember(idempotencyKeys, run.id)
    this.#opts.hooks.onAccepted?.(run)
    this.#waiting.push(run)
    this.#pump()
    return { kind: 'accepted', run, token }
  }

  get (id: string): RunState | null {
    return this.#runs.get(id) ?? null
  }

  /**
   * Newest first, in the order runs were accepted: ids sort by time only to the millisecond (and
   * follow the wall clock), so several runs accepted in one millisecond would come out shuffled.
   * `before` is a run id; if that run is no longer kept, ids are compared instead.
   */
  list (filter: { caller?: string, status?: RunStatus, user?: string | null, limit: number, before?: string }): Run[] {
    const out: Run[] = []
    const all = [...this.#runs.values()]
    const { before } = filter
    const at = before === undefined ? all.length : all.findIndex((r) => r.id === before)
    const older = at !== -1 ? all.slice(0, at) : all.filter((r) => r.id < (before as string))
    for (let i = older.length - 1; i >= 0; i--) {
      const run = older[i] as RunState
      if (filter.caller !== undefined && run.request.caller !== filter.caller) continue
      if (filter.status !== undefined && run.status !== filter.status) continue
      if (filter.user !== undefined && run.request.user !== filter.user) continue
      out.push(run.snapshot())
      if (out.length >= filter.limit) break
    }
    return out
  }

  /** Active (queued or running) runs of one caller, optionally of one user. */
  active (caller: string, user?: string | null): RunState[] {
    return [...this.#runs.values()].filter((r) => !r.isFinal && r.request.caller === caller &&
      (user === undefined || r.request.user === user))
  }

  /** Cancels a queued or running run. Returns false when it had already finished. */
  cancel (id: string, reason = 'cancelled by request'): boolean {
    const run = this.#runs.get(id)
    if (run === undefined || run.isFinal) return false
    const queuedAt = this.#waiting.indexOf(run)
    if (queuedAt !== -1) {
      this.#waiting.splice(queuedAt, 1)
      run.controller.abort(reason)
      this.#finish(run, { status: 'cancelled', error: reason })
      return true
    }
    run.controller.abort(reason)
    return true
  }

  /** Resolves when the run is final or `ms` has passed. */
  async waitFinished (run: RunState, ms: number): Promise<void> {
    if (run.isFinal || ms <= 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([run.finished, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })])
    clearTimeout(timer)
  }

  /**
   * Stops admitting, cancels what is queued, stops what runs (the executor sends SIGTERM then SIGKILL)
   * and marks them interrupted. Resolves when every run is final.
   */
  async drain (reason = 'gateway shutting down'): Promise<void> {
    this.#draining = true
    for (const run of this.#waiting.splice(0)) {
      run.controller.abort(reason)
      this.#finish(run, { status: 'interrupted', error: `${reason} before the run started` })
    }
    const active = [...this.#runs.values()].filter((r) => !r.isFinal)
    for (const run of active) run.controller.abort(reason)
    await Promise.all(active.map((r) => r.finished))
  }

  #pump (): void {
    while (!this.#draining && this.#running < this.#opts.concurrency && this.#waiting.length > 0) {
      const run = this.#waiting.shift() as RunState
      void this.#execute(run)
    }
  }

  async #execute (run: RunState): Promise<void> {
    this.#running++
    run.markRunning(new Date(this.#opts.now()))
    const onSpawn = (pid: number): void => { this.#opts.hooks.onStarted?.(run, pid) }
    let outcome: AgentOutcome | { status: 'interrupted', error: string }
    try {
      outcome = await this.#opts.execute(run, { signal: run.controller.signal, onEvent: (e) => run.record(e), onSpawn })
      if (this.#draining && outcome.status === 'cancelled') {
        outcome = { ...outcome, status: 'interrupted', error: String(run.controller.signal.reason) }
      }
    } catch (err) {
      // The executor promises never to throw; if it does anyway the run still gets its one result.
      outcome = { status: 'interrupted', error: `internal error: ${(err as Error).message}` }
    }
    this.#running--
    this.#finish(run, outcome)
    this.#pump()
  }

  #finish (run: RunState, outcome: Parameters<RunState['finish']>[0]): void {
    run.finish(outcome, new Date(this.#opts.now()))
    this.#opts.hooks.onFinished?.(run)
    this.#finishedOrder.push(run.id)
    this.#fullLogs.push(run)
    this.#fullLogBytes += run.log.bytes
    while (this.#finishedOrder.length > this.#opts.retainFinished) {
      const gone = this.#finishedOrder.shift() as string
      this.#runs.delete(gone)
      if (this.#fullLogs[0]?.id === gone) this.#fullLogBytes -= (this.#fullLogs.shift() as RunState).log.bytes
    }
    // The newest finished run keeps its whole log (bounded on its own); older ones give way.
    while (this.#fullLogBytes > this.#opts.finishedLogBytes && this.#fullLogs.length > 1) {
      const oldest = this.#fullLogs.shift() as RunState
      this.#fullLogBytes -= oldest.log.bytes
      oldest.log.shrink(0)
    }
  }
}
