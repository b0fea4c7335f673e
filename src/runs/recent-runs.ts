// Runs that finished here a moment ago, kept for the requests that read them right after: a client
// waiting for its answer asks for the run as it finishes, and without them each such request read the
// run back from the store and parsed it, 20 MB of copies for a 10 MiB answer each time. Bounded in
// count, in answer characters and in time, so they never hold memory for long.
import type { RunState } from './run-state.ts'

export interface RecentRunsLimits {
  runs: number
  /** Characters of answers kept in all. */
  outputChars: number
  ageMs: number
}

export const RECENT_RUNS: RecentRunsLimits = { runs: 64, outputChars: 32 * 1024 * 1024, ageMs: 60_000 }

export class RecentRuns {
  readonly #limits: RecentRunsLimits
  readonly #now: () => number
  /** Oldest first. */
  readonly #runs = new Map<string, { run: RunState, at: number, chars: number }>()
  #chars = 0

  constructor (limits: RecentRunsLimits, now: () => number) {
    this.#limits = limits
    this.#now = now
  }

  /**
   * `run` is final and recorded: it never changes again. Its in-memory event log (up to a megabyte)
   * is let go down to the result: a run no longer live is streamed from the store.
   */
  keep (run: RunState): void {
    this.#drop(run.id)
    const chars = run.finalSnapshot().output.length
    if (chars > this.#limits.outputChars) return
    run.log.shrink(0)
    this.#runs.set(run.id, { run, at: this.#now(), chars })
    this.#chars += chars
    for (const [id] of this.#runs) {
      if (this.#runs.size <= this.#limits.runs && this.#chars <= this.#limits.outputChars) break
      this.#drop(id)
    }
  }

  get (id: string): RunState | undefined {
    const kept = this.#runs.get(id)
    if (kept === undefined) return undefined
    if (this.#now() - kept.at <= this.#limits.ageMs) return kept.run
    this.#drop(id)
    return undefined
  }

  get size (): number {
    return this.#runs.size
  }

  #drop (id: string): void {
    const kept = this.#runs.get(id)
    if (kept === undefined) return
    this.#runs.delete(id)
    this.#chars -= kept.chars
  }
}
