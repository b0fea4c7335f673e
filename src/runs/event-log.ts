// A run's events, in order, bounded in count and bytes: a run that streams without end cannot grow
// the gateway. Readers hold only a cursor (the last seq they saw), so a slow reader costs nothing;
// one that falls behind what is retained learns it from `since()` and gets a `reset`.
import type { RunEvent } from '../schemas/run.ts'

export interface EventLogLimits {
  maxEvents: number
  maxBytes: number
}

type NewEvent = RunEvent extends infer E ? E extends RunEvent ? Omit<E, 'seq'> : never : never

export class EventLog {
  readonly #limits: EventLogLimits
  // Dropped slots are nulled at once (so their data can be collected) and the array is compacted
  // now and then; without the first, up to 1024 dropped events would stay reachable.
  #events: Array<{ event: RunEvent, bytes: number } | null> = []
  #head = 0
  #bytes = 0
  #nextSeq = 1
  #closed = false
  #waiters = new Set<() => void>()

  constructor (limits: EventLogLimits, nextSeq = 1) {
    this.#limits = limits
    this.#nextSeq = nextSeq
  }

  /** Seq of the oldest retained event (lastSeq + 1 when empty). */
  get oldestSeq (): number {
    return this.#events[this.#head]?.event.seq ?? this.#nextSeq
  }

  /** Seq of the newest event, 0 when empty. */
  get lastSeq (): number {
    return this.#nextSeq - 1
  }

  /** Approximate size of the retained events. */
  get bytes (): number {
    return this.#bytes
  }

  /** True once the final `result` has been appended. */
  get closed (): boolean {
    return this.#closed
  }

  append (entry: NewEvent): RunEvent {
    if (this.#closed) throw new Error('event log is closed')
    const event = { ...entry, seq: this.#nextSeq++ } as RunEvent
    const bytes = JSON.stringify(event.data).length + 32
    this.#events.push({ event, bytes })
    this.#bytes += bytes
    this.#evict(this.#limits)
    if (event.event === 'result') this.#closed = true
    for (const wake of this.#waiters) wake()
    this.#waiters.clear()
    return event
  }

  /**
   * Events after `seq`. `reset` is true when some of them are no longer retained (or `seq` is not
   * one this log produced); `events` then start at the oldest retained event.
   */
  since (seq: number, limit = 256): { events: RunEvent[], reset: boolean } {
    const oldest = this.#events[this.#head]?.event.seq ?? this.#nextSeq
    // A cursor beyond the newest event was never handed out by this log. Waiting for it would never
    // end (and once closed would spin), so the reader starts over from what is retained instead.
    const reset = seq + 1 < oldest || seq > this.lastSeq
    const from = reset ? oldest : seq + 1
    const start = this.#head + (from - oldest)
    const events = this.#events.slice(start, start + limit).map((e) => (e as { event: RunEvent }).event)
    return { events, reset }
  }

  /**
   * Drops the oldest events until at most `maxBytes` remain, keeping the newest (the result, once
   * closed). For finished runs, whose logs are kept within a budget shared by all of them.
   */
  shrink (maxBytes: number): void {
    this.#evict({ maxEvents: this.#limits.maxEvents, maxBytes })
    if (this.#head > 0) {
      this.#events = this.#events.slice(this.#head)
      this.#head = 0
    }
  }

  #evict (limits: EventLogLimits): void {
    // The newest event is never dropped: every reader must be able to end on the final result.
    while (this.#events.length - this.#head > 1 &&
      (this.#events.length - this.#head > limits.maxEvents || this.#bytes > limits.maxBytes)) {
      this.#bytes -= (this.#events[this.#head] as { bytes: number }).bytes
      this.#events[this.#head] = null
      this.#head++
    }
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head)
      this.#head = 0
    }
  }

  /** Resolves when an event after `seq` exists, the log is closed, or `signal` aborts. */
  async waitAfter (seq: number, signal: AbortSignal): Promise<void> {
    if (this.lastSeq > seq || this.#closed || signal.aborted) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#waiters.delete(done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      this.#waiters.add(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
