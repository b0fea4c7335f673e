// Every run of this gateway: admission (concurrency and queue limits), exactly-once acceptance through
// the store, execution through an injected executor, cancellation, crash recovery and shutdown.
// The order of writes is the point of this file:
//   accept   store row + idempotency keys (one durable transaction), then the `accepted` audit line;
//            if that line fails the row is deleted again; a crash between the two is reconciled at
//            the next start (the line is written then, marked recovered)
//   start    `running` committed durably, then spawn, then the process recorded and `started` audited
//   finish   `finished` audited, then the result published, then the final state stored
// A fault on the way in refuses the run (503); a fault on the way out is retried until it clears,
// and the run stays in memory, readable, meanwhile.
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { AgentEvent, AgentOutcome } from '../runner/agent-event.ts'
import type { Run, RunEvent, RunStatus } from '../schemas/run.ts'
import type { DeliveryChannel, ProcessRecord, RunStore, StoredRun } from '../store/run-store.ts'
import { StoreUnavailableError } from '../store/run-store.ts'
import { isShared, QUEUE_OWNER, type SharedStore } from '../store/shared-store.ts'
import type { EventLogLimits, EventLogOptions } from './event-log.ts'
import { newRunId, newRunToken } from './ids.ts'
import { RunState, STORED_PAGE, type RunRequest } from './run-state.ts'
import { EventWriter } from './event-writer.ts'
import { outputJsonInSteps, type OutputJson } from './result-json.ts'
import { RECENT_RUNS, RecentRuns, type RecentRunsLimits } from './recent-runs.ts'
import type { FramePage } from '../sse/format-event.ts'
import type { RunEventSource } from '../sse/sse-stream.ts'

export interface ExecutorContext {
  signal: AbortSignal
  onEvent: (e: AgentEvent) => void
  onSpawn: (pid: number) => void
  /** Milliseconds between SIGTERM and SIGKILL if the run is stopped now; null: the agent's own setting. */
  graceMs: () => number | null
}

export interface Executor {
  (run: RunState, ctx: ExecutorContext): Promise<AgentOutcome>
}

/** Finds and stops what an agent left behind; absent where processes cannot be inspected. */
export interface ProcessControl {
  identify (runId: string, pid: number): ProcessRecord | null
  kill (runId: string, record: ProcessRecord | null, signal: NodeJS.Signals): number
}

export type RecoveryReason = 'crash' | 'not started'

/** `execution: workers`: where a gateway puts the runs it accepts, for `hookgate worker` processes. */
export interface RemoteQueue {
  /** Runs waiting for a worker, for admission. */
  depth (): Promise<number>
  enqueue (runId: string): Promise<void>
  /** Drops a run's job if it still waits. */
  remove? (runId: string): Promise<void>
}

export interface RegistryHooks {
  /** Runs right after the run is committed: if it throws, the run is deleted again and not accepted. */
  onAccepted?: (run: RunState) => void
  /**
   * Settles once what onAccepted recorded is on disk (the audit log's shared sync): awaited before a
   * run is answered as accepted. A failure is reported through onDeferred; the run still stands.
   */
  onAcceptedDurable?: () => Promise<void>
  onStarted?: (run: RunState, pid: number) => void
  /** If it throws, it is called again later until it succeeds. */
  onFinished?: (run: RunState) => void
  /** Before recovery, with every run it will interrupt (e.g. to complete their audit trail). */
  onRecovering?: (runs: readonly StoredRun[]) => void
  onRecovered?: (run: Run, reason: RecoveryReason, killed: number) => void
  /** Something could not be recorded and will be retried. */
  onDeferred?: (what: string, error: unknown) => void
  /** A live run's in-memory log let go of this event (the streams' encoder frees its frame). */
  onEventDropped?: (event: RunEvent) => void
}

export interface RegistryOptions {
  concurrency: number
  queue: number
  demo: boolean
  execute: Executor
  store: RunStore
  now?: () => number
  hooks?: RegistryHooks
  processes?: ProcessControl
  /** Each active run's events kept in memory. */
  ring?: EventLogLimits
  /** Each run's events kept in the store. */
  stored?: EventLogLimits
  /** Runs kept in memory for a moment after they finish here. */
  recent?: RecentRunsLimits
  /** Idempotency keys are kept this long. */
  keyTtlMs?: number
  /** SIGTERM → SIGKILL for agents stopped by a shutdown. */
  shutdownGraceMs?: number
  /** Between attempts to record what a fault kept from being recorded. */
  retryMs?: number
  /** With a shared store: this process's instance id, the owner of the runs it executes. */
  instance?: string
  /** With a shared store and `execution: workers`: accepted runs go here instead of running here. */
  remote?: RemoteQueue
}

export type AcceptResult =
  | { kind: 'accepted', run: RunState, token: string }
  | { kind: 'replayed', run: RunState }
  | { kind: 'overloaded', reason: string }
  | { kind: 'unavailable', reason: string }

const DAY_MS = 24 * 3600 * 1000
/** Bounds of one read of ready-made frames, written as one chunk: 256 events or about 256 KiB (G-SSE-2 measured no gain from 64 KiB). */
const FRAME_PAGE = 256
const FRAME_BYTES = 256 * 1024

export class RunRegistry {
  readonly #opts: Required<Omit<RegistryOptions, 'hooks' | 'processes' | 'instance' | 'remote'>> & Pick<RegistryOptions, 'processes' | 'remote'> & { hooks: RegistryHooks, instance: string }
  /** Set when the store is shared with other processes (several gateways, workers). */
  readonly #shared: SharedStore | null
  /** Runs this process is responsible for: queued, running, or final but not yet fully recorded. */
  readonly #live = new Map<string, RunState>()
  /** Runs that finished here a moment ago: answered from memory, not read back from the store. */
  readonly #recent: RecentRuns
  /** Accepted runs whose queue job could not be added yet (execution: workers); see #enqueue. */
  readonly #handingOver = new Map<string, RunState>()
  readonly #waiting: RunState[] = []
  /** Conversations with a run executing now: another run of the same one waits its turn. */
  readonly #busySessions = new Set<string>()
  readonly #events: EventWriter
  /** Final runs whose audit record or stored state still has to be written. */
  readonly #unrecorded = new Map<string, { audited: boolean }>()
  /** Runs refused after their row may have been committed: deleted (again) until that succeeds. */
  readonly #orphans = new Set<string>()
  #running = 0
  #reserved = 0
  /** Runs whose acceptance is still being written, by id: a duplicate waits for it to become live. */
  readonly #accepting = new Map<string, Promise<void>>()
  #draining = false
  #forced = false
  #retryTimer: NodeJS.Timeout | undefined

  constructor (opts: RegistryOptions) {
    this.#opts = {
      now: Date.now,
      ring: { maxEvents: 4096, maxBytes: 1024 * 1024 },
      stored: { maxEvents: 50_000, maxBytes: 16 * 1024 * 1024 },
      recent: RECENT_RUNS,
      keyTtlMs: 7 * DAY_MS,
      shutdownGraceMs: 10_000,
      retryMs: 1000,
      hooks: {},
      instance: 'local',
      ...opts
    }
    this.#shared = isShared(opts.store) ? opts.store : null
    this.#recent = new RecentRuns(this.#opts.recent, this.#opts.now)
    this.#events = new EventWriter({
      store: this.#opts.store,
      limits: this.#opts.stored,
      onFailed: (id, error) => {
        this.#opts.hooks.onDeferred?.(`events of ${id}`, error)
        this.#scheduleRetry()
      }
    })
  }

  /** What a live run's in-memory log keeps, and whom it tells about what it lets go of. */
  #ring (): EventLogOptions {
    const onDrop = this.#opts.hooks.onEventDropped
    return onDrop === undefined ? this.#opts.ring : { ...this.#opts.ring, onDrop }
  }

  get store (): RunStore { return this.#opts.store }
  get running (): number { return this.#running }
  get queued (): number { return this.#waiting.length }
  get draining (): boolean { return this.#draining }

  /** The run an idempotency key already created, if any. */
  async findReplay (keys: readonly string[]): Promise<RunState | null> {
    if (keys.length === 0) return null
    const stored = await this.#opts.store.findByKeys(keys, this.#opts.now())
    if (stored === null) return null
    // Found while its acceptance is still being synced: wait, and answer with the live run.
    await this.#accepting.get(stored.run.id)
    return this.#view(stored)
  }

  /**
   * Admits a run, or says why not. The store settles duplicates: two concurrent deliveries of the same
   * request can never both create a run, and the loser is answered with the winner's run.
   */
  async accept (request: RunRequest, idempotencyKeys: readonly string[], deliveries: readonly DeliveryChannel[] = []): Promise<AcceptResult> {
    if (this.#draining) return { kind: 'overloaded', reason: 'shutting down' }
    // Reserved before the first await, so admissions under way at the same time count each other.
    this.#reserved++
    let reserved = true
    const unreserve = (): void => {
      if (reserved) this.#reserved--
      reserved = false
    }
    try {
      const full = await this.#full(this.#reserved - 1)
      if (typeof full === 'object') return full
      if (full) {
        const replay = await this.#replayOrNull(idempotencyKeys)
        return replay ?? { kind: 'overloaded', reason: this.#opts.remote !== undefined ? 'the run queue is full' : `${this.#running} runs running and ${this.#waiting.length} queued` }
      }
      const now = this.#opts.now()
      const token = newRunToken()
      const id = newRunId(now)
      const run = RunState.create(id, request, token, new Date(now), this.#opts.demo, this.#ring(), (e) => this.#events.push(id, e))
      // A duplicate that finds this run while its write is still being synced waits for this, so it is
      // answered with the live run (which it can follow and wait for), not a stored snapshot.
      let settled!: () => void
      this.#accepting.set(id, new Promise((resolve) => { settled = resolve }))
      try {
        try {
          const result = await this.#opts.store.createRun({
            run: run.snapshot(),
            request,
            tokenHash: run.tokenHash,
            keys: idempotencyKeys,
            deliveries,
            now,
            keysExpireAt: now + this.#opts.keyTtlMs,
            ...(this.#shared !== null ? { owner: this.#opts.instance } : {})
          }, () => this.#opts.hooks.onAccepted?.(run))
          if (!result.created) {
            this.#events.forget(id)
            // The original may still be on its way in: wait, and answer with the live run.
            await this.#accepting.get(result.existing.run.id)
            return { kind: 'replayed', run: this.#view(result.existing) }
          }
        } catch (error) {
          this.#events.forget(id)
          // The store undoes a run whose audit record failed; if even that failed, keep trying, so no
          // run exists without its `accepted` line.
          if (!(error instanceof StoreUnavailableError)) this.#orphans.add(id)
          this.#scheduleRetry()
          return { kind: 'unavailable', reason: describe(error) }
        }
        await this.#opts.hooks.onAcceptedDurable?.().catch((error: unknown) => this.#opts.hooks.onDeferred?.(`the audit record of ${id}`, error))
        unreserve()
        if (this.#draining) {
          // Shutdown began while the store was writing: the run is recorded, so it ends recorded too.
          this.#live.set(id, run)
          this.#finish(run, { status: 'interrupted', error: 'not started: the gateway is shutting down' })
          return { kind: 'accepted', run, token }
        }
        if (this.#opts.remote !== undefined) return await this.#enqueue(run, token, this.#opts.remote)
        this.#live.set(id, run)
        this.#waiting.push(run)
        this.#pump()
        return { kind: 'accepted', run, token }
      } finally {
        this.#accepting.delete(id)
        settled()
      }
    } finally {
      unreserve()
    }
  }

  /**
   * Whether admission must refuse: local slots and queue, or the shared queue's depth. `others`: the
   * admissions under way besides this one; they take the free slots first and then the queue.
   */
  async #full (others: number): Promise<boolean | AcceptResult> {
    if (this.#opts.remote === undefined) {
      const freeSlots = Math.max(0, this.#opts.concurrency - this.#running)
      if (others < freeSlots) return false
      return this.#waiting.length + others - freeSlots >= this.#opts.queue
    }
    try {
      return await this.#opts.remote.depth() + others >= this.#opts.queue
    } catch (error) {
      return { kind: 'unavailable', reason: describe(error) }
    }
  }

  /**
   * `execution: workers`: the run's first event is stored before a worker can see the job (the
   * worker continues its seq), then the job is added and the run handed to the queue. A queue that
   * fails now (Redis went away between the run's record and its job) leaves an accepted run that is
   * not queued yet: it is handed over as soon as the queue answers again, not ended for a blink of
   * Redis. Until then it is this gateway's: cancelling it or a shutdown ends it here, and if this
   * process dies, the lease check ends it.
   */
  async #enqueue (run: RunState, token: string, queue: RemoteQueue): Promise<AcceptResult> {
    try {
      await this.#handOver(run, queue)
    } catch (error) {
      this.#opts.hooks.onDeferred?.(`the queue job of ${run.id}`, error)
      this.#handingOver.set(run.id, run)
      void this.#handOverLater(run, queue)
    }
    return { kind: 'accepted', run, token }
  }

  async #handOver (run: RunState, queue: RemoteQueue): Promise<void> {
    await this.#events.flush(run.id)
    await queue.enqueue(run.id)
    this.#events.forget(run.id)
    await (this.#shared as SharedStore).transferRun(run.id, this.#opts.instance, QUEUE_OWNER)
      .catch((error: unknown) => this.#opts.hooks.onDeferred?.(`queue ownership of ${run.id}`, error))
  }

  async #handOverLater (run: RunState, queue: RemoteQueue): Promise<void> {
    const signal = run.controller.signal
    for (let delay = 250; ; delay = Math.min(2 * delay, 2000)) {
      await sleep(delay, signal)
      if (!signal.aborted && !this.#draining) {
        try {
          await this.#handOver(run, queue)
        } catch {
          continue
        }
        this.#handingOver.delete(run.id)
        if (!signal.aborted) return
        // Cancelled while its job was being added: the job goes, and the run ends here. (A worker that
        // took the job in those few milliseconds runs it anyway and records how it really ended.)
        await queue.remove?.(run.id).catch(() => {})
      }
      this.#handingOver.delete(run.id)
      this.#live.set(run.id, run)
      const reason = String(signal.reason ?? 'gateway shutdown')
      this.#finish(run, this.#draining ? { status: 'interrupted', error: `not started: ${reason}` } : { status: 'cancelled', error: reason })
      return
    }
  }

  /**
   * A worker takes a run from the shared queue: it becomes this process's (unless another holds it,
   * or it was cancelled while it waited) and executes like a local one. Resolves when the run is
   * final and recorded, or at once when it is not this process's to run.
   */
  async adopt (id: string, onLive?: (run: RunState) => void): Promise<void> {
    const store = this.#shared
    if (store === null) throw new Error('adopt needs a shared store')
    if (!(await this.#takeFromQueue(store, id))) return
    const stored = await store.getRun(id)
    if (stored === null || stored.run.status !== 'queued') return
    const run = new RunState({
      run: stored.run,
      request: stored.request,
      tokenHash: Buffer.from(stored.tokenHash, 'hex'),
      limits: this.#ring(),
      nextSeq: await store.lastSeq(id) + 1,
      onAppend: (e) => this.#events.push(id, e)
    })
    this.#live.set(id, run)
    onLive?.(run)
    if (this.#draining) {
      this.#finish(run, { status: 'interrupted', error: 'not started: the worker is shutting down' })
    } else {
      await this.#execute(run)
    }
    await run.finished
  }

  /**
   * The run's ownership moves from the queue to this process. The gateway hands it to the queue
   * right after adding the job, so a job can arrive a moment before that: wait briefly for it.
   */
  async #takeFromQueue (store: SharedStore, id: string): Promise<boolean> {
    for (let attempt = 0; attempt < 40; attempt++) {
      const owner = await store.ownerOf(id)
      if (owner === null) return false
      if (owner === QUEUE_OWNER) return store.transferRun(id, QUEUE_OWNER, this.#opts.instance)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return false
  }

  /** True when this process executes (or queues) the run now. */
  holds (id: string): boolean {
    return this.#live.has(id) || this.#handingOver.has(id)
  }

  /** A run by id: the one in memory if this process runs it or just finished it, else as stored. */
  async get (id: string): Promise<RunState | null> {
    const held = this.#live.get(id) ?? this.#recent.get(id)
    if (held !== undefined) return held
    const stored = await this.#opts.store.getRun(id)
    return stored === null ? null : this.#view(stored)
  }

  /** Newest first, in acceptance order, with the live state of runs this process runs. */
  async list (filter: { caller?: string, status?: RunStatus, limit: number, before?: string }): Promise<Run[]> {
    const runs = await this.#opts.store.listRuns(filter)
    return runs.map((r) => this.#live.get(r.id)?.snapshot() ?? r)
  }

  /** Active (queued or running) runs of one caller, optionally of one user. */
  active (caller: string, user?: string | null): RunState[] {
    return [...this.#live.values()].filter((r) => !r.isFinal && r.request.caller === caller &&
      (user === undefined || r.request.user === user))
  }

  /** Cancels a queued or running run. Returns false when it is not active here. */
  cancel (id: string, reason = 'cancelled by request'): boolean {
    const run = this.#live.get(id) ?? this.#handingOver.get(id)
    if (run === undefined || run.isFinal) return false
    const queuedAt = this.#waiting.indexOf(run)
    run.controller.abort(reason)
    if (queuedAt !== -1) {
      this.#waiting.splice(queuedAt, 1)
      this.#finish(run, { status: 'cancelled', error: reason })
    }
    return true
  }

  /**
   * Resolves when the run is final and recorded, or `ms` has passed. A run another process executes
   * is followed through the shared store and `run` is brought up to date when it ends.
   */
  async waitFinished (run: RunState, ms: number): Promise<void> {
    if (ms <= 0) return
    if (this.#shared !== null && !this.#live.has(run.id) && !run.isFinal) return this.#waitRemote(this.#shared, run, ms)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([run.finished, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })])
    clearTimeout(timer)
  }

  async #waitRemote (store: SharedStore, run: RunState, ms: number): Promise<void> {
    const deadline = AbortSignal.timeout(ms)
    let seq = 0
    while (!deadline.aborted) {
      try {
        const page = await store.readEvents(run.id, seq, 256)
        seq = page.events.at(-1)?.seq ?? seq
        if (page.events.some((e) => e.event === 'result')) {
          const stored = await store.getRun(run.id)
          if (stored !== null) run.refresh(stored.run)
          return
        }
        if (page.events.length > 0) continue
      } catch {
        // Unreachable for now: wait and look again, within the caller's bound.
      }
      await store.waitForEvents(run.id, seq, deadline, 5000)
    }
  }

  /**
   * Events after `seq` for a reader: from memory while the run is live and the reader is within the
   * ring, else from the store (which keeps more, and everything of runs no longer in memory).
   */
  async eventsAfter (run: RunState, seq: number, limit = STORED_PAGE): Promise<{ events: RunEvent[], reset: boolean }> {
    const live = this.#live.get(run.id) === run
    if (live) {
      const page = run.log.since(seq, limit)
      if (!page.reset || seq > run.log.lastSeq) return page
      await this.#events.flush(run.id)
    }
    try {
      const page = live ? await this.#behindLog(run, seq, limit) : await this.#opts.store.readEvents(run.id, seq, limit)
      if (page.events.length > 0 || !live) return page
    } catch (error) {
      if (!live) throw error
    }
    return run.log.since(seq, limit)
  }

  /** A live run's events after `seq` from the store, through the pages its readers share. */
  async #behindLog (run: RunState, seq: number, limit: number): Promise<{ events: RunEvent[], reset: boolean }> {
    const events = await run.stored.after(seq, limit, async (after, n) => await this.#opts.store.readEvents(run.id, after, n))
    return events !== null ? { events, reset: false } : await this.#opts.store.readEvents(run.id, seq, limit)
  }

  /**
   * What a stream of a run this process runs (or ran) reads next: from memory while it is within the
   * ring, else ready-made frames from the store when it can make them, else events from the store.
   */
  async #streamPage (run: RunState, seq: number): Promise<{ events: RunEvent[], reset: boolean } | { frames: FramePage }> {
    const store = this.#opts.store
    const live = this.#live.get(run.id) === run
    if (live) {
      const page = run.log.since(seq, STORED_PAGE)
      if (!page.reset || seq > run.log.lastSeq) return page
      await this.#events.flush(run.id)
    }
    if ((live || run.log.closed) && store.readFrames !== undefined) {
      const frames = await store.readFrames(run.id, seq, FRAME_PAGE, FRAME_BYTES).catch(() => null)
      if (frames !== null) return { frames }
    }
    return await this.eventsAfter(run, seq)
  }

  /** The run's events for a stream: live while this process runs it, else from the store. */
  eventSource (run: RunState): RunEventSource {
    if (this.#live.get(run.id) === run) {
      return {
        read: (seq) => this.#streamPage(run, seq),
        waitAfter: (seq, signal) => run.log.waitAfter(seq, signal),
        lastSeq: () => run.log.lastSeq,
        closed: () => run.log.closed,
        snapshot: () => run.snapshot()
      }
    }
    let last = 0
    const store = this.#opts.store
    return {
      read: async (seq) => {
        // A final run's log no longer changes: replayed as stored frames where the store makes them.
        const frames = run.isFinal ? await store.readFrames?.(run.id, seq, FRAME_PAGE, FRAME_BYTES) ?? null : null
        if (frames !== null) {
          last = Math.max(last, frames.lastSeq)
          return { frames }
        }
        const page = await store.readEvents(run.id, seq, 256)
        last = Math.max(last, page.events.at(-1)?.seq ?? 0)
        return page
      },
      // A run in the store but not in memory here is final, or another process runs it: wait for
      // that process's events through the shared store (polling, for a store that cannot notify).
      waitAfter: async (seq, signal) => {
        if (run.isFinal) return
        if (this.#shared !== null) await this.#shared.waitForEvents(run.id, seq, signal, 5000)
        else await sleep(500, signal)
      },
      lastSeq: () => last,
      closed: () => run.isFinal,
      snapshot: () => run.snapshot()
    }
  }

  /**
   * After a crash: every run the store still has as queued or running is stopped (whatever of its
   * agent survived is killed) and marked interrupted, with its result event and audit record.
   * Nothing is started again: agent runs are not idempotent.
   */
  async recover (): Promise<Run[]> {
    if (this.#shared !== null) return this.#recoverOrphans(this.#shared)
    const recovered: Run[] = []
    const unfinished = (await this.#opts.store.unfinishedRuns()).filter((r) => !this.#live.has(r.run.id))
    if (unfinished.length > 0) this.#opts.hooks.onRecovering?.(unfinished)
    for (const stored of unfinished) {
      const killed = this.#opts.processes?.kill(stored.run.id, stored.process, 'SIGKILL') ?? 0
      const { run, reason } = interrupted(stored.run, this.#opts.now(), {
        crash: 'interrupted: the gateway crashed or was killed while the run was running',
        'not started': 'not started: the gateway crashed or was killed before the run started'
      })
      this.#opts.hooks.onRecovered?.(run, reason, killed)
      const last = await this.#opts.store.lastSeq(run.id)
      await this.#opts.store.appendEvents(run.id, [{ seq: last + 1, event: 'result', data: run }], 0)
      await this.#opts.store.updateRun(run, { durable: true })
      recovered.push(run)
    }
    return recovered
  }

  /**
   * With a shared store, other processes' runs are not this one's to end at start: only runs whose
   * owner lost its lease (it crashed, was killed, or lost Redis for longer than the lease) are
   * interrupted, each by exactly one process (the store's conditional finish settles races). The
   * cluster calls this periodically; `accepted` lines are in the log of the process that accepted.
   */
  async #recoverOrphans (store: SharedStore): Promise<Run[]> {
    const recovered: Run[] = []
    const orphans = (await store.orphanedRuns()).filter((r) => !this.#live.has(r.run.id))
    for (const stored of orphans) {
      // Its owner ended it, audited it and published its result, then died before storing the final
      // state: that outcome stands (readers already saw it); only the record is completed.
      const ended = await this.#publishedResult(store, stored.run.id)
      if (ended !== null) {
        await store.updateRun(ended, { durable: true })
        recovered.push(ended)
        continue
      }
      const { run, reason } = interrupted(stored.run, this.#opts.now(), {
        crash: 'interrupted: the process running it stopped (no heartbeat within its lease)',
        'not started': 'not started: the process holding it stopped (no heartbeat within its lease)'
      })
      if (!(await store.finishIfUnfinished(run, { event: 'result', data: run }))) continue
      // Processes of this machine only: the record names its boot, so another host's pids are left alone.
      const killed = this.#opts.processes?.kill(stored.run.id, stored.process, 'SIGKILL') ?? 0
      this.#opts.hooks.onRecovered?.(run, reason, killed)
      recovered.push(run)
    }
    return recovered
  }

  /** The final run in the `result` event that ends the run's stream, if it has one. */
  async #publishedResult (store: SharedStore, id: string): Promise<Run | null> {
    const last = await store.lastSeq(id)
    if (last === 0) return null
    const page = await store.readEvents(id, last - 1, 1)
    const result = page.events.find((e) => e.event === 'result')
    return result === undefined ? null : result.data as Run
  }

  /**
   * Stops admitting, ends what is queued, stops what runs (SIGTERM, then SIGKILL after the shutdown
   * grace) and marks them interrupted. Resolves when every run is final and recorded as far as the
   * store and audit log allow.
   */
  async drain (reason = 'gateway shutdown'): Promise<void> {
    this.#draining = true
    for (const run of this.#waiting.splice(0)) {
      run.controller.abort(reason)
      this.#finish(run, { status: 'interrupted', error: `not started: ${reason}` })
    }
    const active = [...this.#live.values(), ...this.#handingOver.values()]
    for (const run of active) if (!run.isFinal) run.controller.abort(reason)
    await Promise.all(active.map((r) => r.finished))
    await this.#retry()
    this.#stopTimers()
  }

  /**
   * A second signal: no waiting. Every agent's processes get SIGKILL now, and every active run is
   * recorded interrupted as far as a synchronous store allows (the SQLite store writes before its
   * promise is even returned); what is not recorded here is recovered at the next start.
   */
  forceStop (reason = 'gateway shutdown (forced)'): void {
    this.#draining = true
    this.#forced = true
    // Runs not handed to the queue yet end here with the rest.
    for (const [id, run] of this.#handingOver) this.#live.set(id, run)
    this.#handingOver.clear()
    for (const run of this.#live.values()) {
      if (run.isFinal) continue
      this.#opts.processes?.kill(run.id, null, 'SIGKILL')
      run.controller.abort(reason)
      run.finish({ status: 'interrupted', error: `interrupted: ${reason}` }, new Date(this.#opts.now()))
      this.#unrecorded.set(run.id, { audited: false })
      this.#audit(run)
      run.publishResult()
      // Not awaited: the process exits right after this returns. A synchronous store has written
      // by the time each call returns its promise; anything else is recovered at the next start.
      this.#events.flushNow(run.id)
      this.#opts.store.updateRun(run.snapshot(), { durable: true }).catch(() => {})
    }
    this.#stopTimers()
  }

  /** A reloaded config's limits: for admissions from now on; a lower concurrency stops nothing. */
  setLimits (limits: { concurrency: number, queue: number }): void {
    this.#opts.concurrency = limits.concurrency
    this.#opts.queue = limits.queue
    this.#pump()
  }

  /** Runs counted by status, from the store. */
  async counts (): Promise<Partial<Record<RunStatus, number>>> {
    return this.#opts.store.countByStatus()
  }

  #pump (): void {
    while (!this.#draining && this.#running < this.#opts.concurrency) {
      // The oldest run whose conversation is free: a second message of a busy conversation waits
      // (it is the next turn), without holding up other conversations behind it.
      const next = this.#waiting.findIndex((r) => r.request.sessionKey == null || !this.#busySessions.has(r.request.sessionKey))
      if (next === -1) return
      const [run] = this.#waiting.splice(next, 1) as [RunState]
      if (run.request.sessionKey != null) this.#busySessions.add(run.request.sessionKey)
      void this.#execute(run)
    }
  }

  /** The run executing or waiting in a conversation, newest first. */
  activeInSession (sessionKey: string): RunState[] {
    return [...this.#live.values()].filter((r) => !r.isFinal && r.request.sessionKey === sessionKey).reverse()
  }

  async #execute (run: RunState): Promise<void> {
    this.#running++
    let outcome: AgentOutcome | { status: 'interrupted' | 'cancelled', error: string }
    try {
      if (this.#shared !== null) {
        if (!(await this.#claim(this.#shared, run))) {
          this.#running--
          this.#release(run)
          if (run.controller.signal.aborted) {
            this.#finish(run, { status: this.#draining ? 'interrupted' : 'cancelled', error: String(run.controller.signal.reason) })
          } else {
            // Another process ended it first (cancelled while queued, or its owner's lease lapsed).
            this.#live.delete(run.id)
            this.#events.forget(run.id)
            const stored = await this.#shared.getRun(run.id).catch(() => null)
            if (stored !== null) run.refresh(stored.run)
            run.settle()
          }
          this.#pump()
          return
        }
      } else {
        run.markRunning(new Date(this.#opts.now()))
      }
      await this.#events.flush(run.id)
      // Committed before the spawn: a crash from here on finds the run and looks for its processes.
      await this.#opts.store.updateRun(run.snapshot(), { durable: true })
    } catch (error) {
      this.#running--
      this.#release(run)
      this.#finish(run, { status: 'interrupted', error: `not started: ${describe(error)}` })
      this.#pump()
      return
    }
    try {
      if (run.controller.signal.aborted) throw new Error(String(run.controller.signal.reason))
      outcome = await this.#opts.execute(run, {
        signal: run.controller.signal,
        onEvent: (e) => run.record(e),
        onSpawn: (pid) => this.#spawned(run, pid),
        graceMs: () => this.#draining ? this.#opts.shutdownGraceMs : null
      })
      if (this.#draining && outcome.status === 'cancelled') {
        outcome = { ...outcome, status: 'interrupted', error: `interrupted: ${String(run.controller.signal.reason)}` }
      }
    } catch (err) {
      // The executor promises never to throw; if it does anyway the run still gets its one result.
      outcome = { status: 'interrupted', error: `internal error: ${(err as Error).message}` }
    }
    // A long answer's JSON is made in steps now, rather than in one go when the result is published.
    const ahead = 'output' in outcome && outcome.output !== undefined ? await outputJsonInSteps(outcome.output, nextTurn) : null
    this.#running--
    this.#release(run)
    this.#finish(run, outcome, ahead)
    this.#pump()
  }

  #release (run: RunState): void {
    const key = run.request.sessionKey
    if (key == null) return
    this.#busySessions.delete(key)
    this.#shared?.unlockConversation(key, run.id).catch((error: unknown) => this.#opts.hooks.onDeferred?.(`conversation of ${run.id}`, error))
  }

  /**
   * Shared store: the run's conversation is taken (another process may be running its previous
   * turn: wait for it), then the run is claimed, queued → running, at most once across processes.
   * False when it must not run: cancelled meanwhile, or no longer queued in the store.
   */
  async #claim (store: SharedStore, run: RunState): Promise<boolean> {
    const key = run.request.sessionKey
    const signal = run.controller.signal
    while (key != null && !signal.aborted && !(await store.lockConversation(key, this.#opts.instance, run.id))) {
      await sleep(250, signal)
    }
    if (signal.aborted) return false
    const started = new Date(this.#opts.now())
    const running: Run = { ...run.snapshot(), status: 'running', started_at: started.toISOString() }
    if (!(await store.claimRun(running, this.#opts.instance))) return false
    run.markRunning(started)
    return true
  }

  #spawned (run: RunState, pid: number): void {
    const record = this.#opts.processes?.identify(run.id, pid) ?? null
    if (record !== null) {
      this.#opts.store.setProcess(run.id, record).catch((error: unknown) => this.#opts.hooks.onDeferred?.(`process of ${run.id}`, error))
    }
    try {
      this.#opts.hooks.onStarted?.(run, pid)
    } catch (error) {
      // No audit line, no run: fail closed.
      run.controller.abort(`audit log unavailable: ${describe(error)}`)
    }
  }

  #finish (run: RunState, outcome: Parameters<RunState['finish']>[0], ahead: OutputJson | null = null): void {
    if (run.isFinal) return
    run.finish(outcome, new Date(this.#opts.now()))
    this.#unrecorded.set(run.id, { audited: false })
    this.#audit(run)
    run.publishResult(ahead)
    void this.#record(run)
  }

  #audit (run: RunState): void {
    const state = this.#unrecorded.get(run.id)
    if (state === undefined || state.audited) return
    try {
      this.#opts.hooks.onFinished?.(run)
      state.audited = true
    } catch (error) {
      this.#opts.hooks.onDeferred?.(`audit record of ${run.id}`, error)
      this.#scheduleRetry()
    }
  }

  /** Writes the final state; on success (and once audited) the run leaves memory. */
  async #record (run: RunState): Promise<void> {
    try {
      await this.#events.flush(run.id)
      await this.#opts.store.updateRun(run.finalSnapshot(), { durable: true })
    } catch (error) {
      this.#opts.hooks.onDeferred?.(`final state of ${run.id}`, error)
      this.#scheduleRetry()
      return
    }
    if (this.#unrecorded.get(run.id)?.audited !== true) return
    this.#unrecorded.delete(run.id)
    this.#live.delete(run.id)
    this.#recent.keep(run)
    this.#events.forget(run.id)
    run.settle()
  }

  async #retry (): Promise<void> {
    for (const id of [...this.#orphans]) {
      try {
        await this.#opts.store.deleteRun(id)
        this.#orphans.delete(id)
      } catch {
        this.#scheduleRetry()
      }
    }
    await this.#events.flushAll()
    for (const id of [...this.#unrecorded.keys()]) {
      const run = this.#live.get(id)
      if (run === undefined) continue
      this.#audit(run)
      await this.#record(run)
    }
    // A run that cannot be recorded at shutdown still ends: the next start recovers it from the store.
    if (this.#draining) for (const id of this.#unrecorded.keys()) this.#live.get(id)?.settle()
  }

  #scheduleRetry (): void {
    if (this.#retryTimer !== undefined || this.#forced) return
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      void this.#retry()
    }, this.#opts.retryMs)
  }

  async #replayOrNull (keys: readonly string[]): Promise<AcceptResult | null> {
    try {
      const run = await this.findReplay(keys)
      return run === null ? null : { kind: 'replayed', run }
    } catch (error) {
      return { kind: 'unavailable', reason: describe(error) }
    }
  }

  /** A stored run as a RunState: final runs are read-only views; their events come from the store. */
  #view (stored: StoredRun): RunState {
    const live = this.#live.get(stored.run.id)
    if (live !== undefined) return live
    return new RunState({
      run: stored.run,
      request: stored.request,
      tokenHash: Buffer.from(stored.tokenHash, 'hex'),
      limits: { maxEvents: 1, maxBytes: 0 },
      adopt: true
    })
  }

  #stopTimers (): void {
    this.#events.stop()
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }
}

/** A run that was queued or running, as recovery ends it: interrupted, with why in its error. */
function interrupted (stored: Run, now: number, why: Record<RecoveryReason, string>): { run: Run, reason: RecoveryReason } {
  const reason: RecoveryReason = stored.status === 'running' ? 'crash' : 'not started'
  const run: Run = {
    ...stored,
    status: 'interrupted',
    finished_at: new Date(now).toISOString(),
    duration_ms: stored.started_at === null ? null : Math.max(0, now - Date.parse(stored.started_at)),
    error: why[reason]
  }
  return { run, reason }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    function done (): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

function describe (error: unknown): string {
  if (error instanceof StoreUnavailableError) return error.message
  return error instanceof Error ? error.message : String(error)
}
