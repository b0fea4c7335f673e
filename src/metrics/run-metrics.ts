// Runs as the registry reports them through its hooks: how they end, how long they take, how soon
// the agent says something, agents that never started, and (read at scrape time) how many runs
// wait and run in this process against the configured limits.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { RunState } from '../runs/run-state.ts'
import type { Run } from '../schemas/run.ts'

export interface RunSources {
  queued (): number
  running (): number
  limits: { concurrency: number, queue: number }
  /**
   * A gateway with `execution: workers`: runs waiting in the shared queue for a worker, read from
   * Redis at scrape time (bounded by `redis.timeout_ms`).
   */
  sharedQueued?: () => Promise<number>
}

const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600]
const FIRST_EVENT_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export class RunMetrics {
  readonly #finished: Counter<'caller' | 'status'>
  readonly #duration: Histogram<'status'>
  readonly #firstEvent: Histogram
  readonly #spawnFailures: Counter<'caller'>
  /** Runs whose agent process started; a run that fails without ever being here never started it. */
  readonly #spawned = new Set<string>()
  readonly #now: () => number

  constructor (register: Registry, sources: RunSources, now: () => number) {
    const registers = [register]
    this.#now = now
    this.#finished = new Counter({
      name: 'hookgate_runs_finished_total',
      help: 'Runs this process ended, by caller and final status.',
      labelNames: ['caller', 'status'] as const,
      registers
    })
    this.#duration = new Histogram({
      name: 'hookgate_run_duration_seconds',
      help: 'Time from a run\'s start to its end, by final status (runs that never started are not observed).',
      labelNames: ['status'] as const,
      buckets: DURATION_BUCKETS,
      registers
    })
    this.#firstEvent = new Histogram({
      name: 'hookgate_run_first_event_seconds',
      help: 'Time from a run\'s start to the first event of its agent (text, tool call, log line, session, permission question).',
      buckets: FIRST_EVENT_BUCKETS,
      registers
    })
    this.#spawnFailures = new Counter({
      name: 'hookgate_agent_spawn_failures_total',
      help: 'Runs that failed because their agent process could not be started (command missing, not executable, sandbox unavailable, …).',
      labelNames: ['caller'] as const,
      registers
    })
    new Gauge({ name: 'hookgate_runs_queued', help: 'Runs waiting for a slot in this process.', registers, collect () { this.set(sources.queued()) } })
    new Gauge({ name: 'hookgate_runs_running', help: 'Runs executing in this process.', registers, collect () { this.set(sources.running()) } })
    const { sharedQueued } = sources
    if (sharedQueued !== undefined) {
      new Gauge({
        name: 'hookgate_runs_shared_queue',
        help: 'Runs waiting in the shared queue for a worker (execution: workers); NaN when Redis did not answer.',
        registers,
        async collect () {
          // A scrape still answers when Redis does not; a stale count would look like a real one.
          this.set(await sharedQueued().catch(() => Number.NaN))
        }
      })
    }
    new Gauge({ name: 'hookgate_runs_queue_limit', help: 'Configured limits.queue: runs that may wait before requests get 503.', registers })
      .set(sources.limits.queue)
    new Gauge({ name: 'hookgate_runs_concurrency_limit', help: 'Configured limits.concurrency: runs that may execute at once.', registers })
      .set(sources.limits.concurrency)
  }

  /** The agent process of `run` started (again, when a missing session made the runner retry). */
  spawned (run: RunState): void {
    if (this.#spawned.has(run.id)) return
    this.#spawned.add(run.id)
    const startedAt = Date.parse(run.snapshot().started_at ?? '')
    if (Number.isNaN(startedAt)) return
    // Everything the agent reports comes after the run events appended up to now; aborting the
    // run (cancel, shutdown) ends the wait as well, so nothing outlives the run.
    const after = run.log.lastSeq
    void run.log.waitAfter(after, run.controller.signal).then(() => {
      const first = run.log.since(after, 1).events[0]
      if (first === undefined || first.event === 'run' || first.event === 'result') return
      this.#firstEvent.observe(Math.max(0, this.#now() - startedAt) / 1000)
    })
  }

  /** A run this process ended, once its end is audited. */
  finished (run: Run): void {
    const spawned = this.#spawned.delete(run.id)
    this.#finished.inc({ caller: run.caller, status: run.status })
    if (run.duration_ms !== null) this.#duration.observe({ status: run.status }, run.duration_ms / 1000)
    // It got as far as starting the agent, and failed without an agent process: the start failed.
    if (run.status === 'failed' && run.started_at !== null && !spawned) this.#spawnFailures.inc({ caller: run.caller })
  }

  /** A run a crash (or a lapsed lease) left unfinished, ended by recovery: its duration spans the outage, so only counted. */
  recovered (run: Run): void {
    this.#spawned.delete(run.id)
    this.#finished.inc({ caller: run.caller, status: run.status })
  }
}
