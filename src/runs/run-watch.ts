// Changes to the newest runs, for the admin's live run list (GET /v1/runs/live). Learnt by polling
// the store, not from this process's registry: with a shared Redis store a run is accepted, started
// or finished by other processes too, and only the store sees them all. One poll serves every
// follower; it runs only while someone follows, each poll reads one bounded page (the newest
// `window` runs), and only runs that changed since the previous poll become events.
import type { Run, RunStatus } from '../schemas/run.ts'

export interface RunChange {
  seq: number
  event: 'run' | 'shutdown'
  /** The run as it is now; for `shutdown`, why the stream ends. */
  data: Run | { message: string }
  /** The status the run had at the previous poll (null: new in the window), so a filter on status also sees a run leave it. */
  was: RunStatus | null
}

export interface RunWatchOptions {
  /** The newest runs, newest first (one bounded page). */
  list: () => Promise<Run[]>
  /** True once nothing more will change here (shutdown, after this process's runs ended). */
  ending: () => boolean
  everyMs: number
  /** Changes kept for followers that read late; older ones make a follower's stream reset. */
  keep: number
}

export class RunWatch {
  readonly #o: RunWatchOptions
  #seq = 0
  #changes: RunChange[] = []
  /** Each run's fields that followers see change, as of the last poll. */
  #known = new Map<string, { status: RunStatus, print: string }>()
  #latest: Run[] = []
  #followers = 0
  #primed: Promise<void> | null = null
  #timer: NodeJS.Timeout | undefined
  #wake = new Set<() => void>()
  #ended = false

  constructor (opts: RunWatchOptions) {
    this.#o = opts
  }

  get lastSeq (): number { return this.#seq }
  get ended (): boolean { return this.#ended }
  /** The runs as of the last poll, newest first. */
  get latest (): readonly Run[] { return this.#latest }

  /**
   * Adds a follower; the first one starts polling. Resolves once a first poll has set the baseline,
   * so every change after the returned seq is seen: a list read after this misses nothing.
   */
  async follow (): Promise<{ seq: number, release: () => void }> {
    this.#followers++
    if (this.#primed === null) {
      this.#primed = this.#poll(false)
      this.#schedule()
    }
    try {
      await this.#primed
    } catch {
      // The store was unreachable: with no baseline the next poll reports every run of the page.
    }
    let released = false
    return {
      seq: this.#seq,
      release: () => {
        if (released) return
        released = true
        if (--this.#followers === 0) this.stop()
      }
    }
  }

  /** Changes after `seq`; `reset` when some are no longer kept (then every kept one is returned). */
  since (seq: number): { events: RunChange[], reset: boolean } {
    const first = this.#changes[0]?.seq ?? this.#seq + 1
    if (seq < first - 1) return { events: [...this.#changes], reset: true }
    return { events: this.#changes.filter((c) => c.seq > seq), reset: false }
  }

  /** Resolves when a change after `seq` exists, the watch ends, or `signal` aborts. */
  async waitAfter (seq: number, signal: AbortSignal): Promise<void> {
    if (this.#seq > seq || this.#ended || signal.aborted) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#wake.delete(done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      this.#wake.add(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Stops polling (the last follower left, or the app closes); a new follower starts it again. */
  stop (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#primed = null
    this.#known.clear()
  }

  #schedule (): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#poll(true).catch(() => {}).finally(() => {
        // Not when stopped meanwhile, nor when a new first follower already started the next round.
        if (this.#primed !== null && this.#timer === undefined && !this.#ended) this.#schedule()
      })
    }, this.#o.everyMs)
    this.#timer.unref()
  }

  /** Reads the page and records what changed; `emit` false only sets the baseline. */
  async #poll (emit: boolean): Promise<void> {
    // Read before the page: when it says the end has come, this page already holds the final states.
    const ending = this.#o.ending()
    const before = this.#seq
    const runs = await this.#o.list()
    this.#latest = runs
    const known = new Map<string, { status: RunStatus, print: string }>()
    // Oldest first, so followers apply changes in the order the runs were created.
    for (const run of [...runs].reverse()) {
      const print = fingerprint(run)
      const before = this.#known.get(run.id)
      known.set(run.id, { status: run.status, print })
      if (emit && before?.print !== print) this.#push({ event: 'run', data: run, was: before?.status ?? null })
    }
    this.#known = known
    if (ending && !this.#ended) {
      this.#push({ event: 'shutdown', data: { message: 'The gateway is shutting down' }, was: null })
      this.#ended = true
    }
    if (this.#seq > before) for (const wake of [...this.#wake]) wake()
  }

  #push (change: Omit<RunChange, 'seq'>): void {
    this.#changes.push({ ...change, seq: ++this.#seq })
    if (this.#changes.length > this.#o.keep) this.#changes.splice(0, this.#changes.length - this.#o.keep)
  }
}

/** What a follower's list shows of a run; a change in any of it is an event. */
function fingerprint (run: Run): string {
  return JSON.stringify([run.status, run.started_at, run.finished_at, run.duration_ms, run.cost_usd, run.turns, run.exit_code, run.error])
}
