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
  #events: Array<{ event: RunEvent, bytes: number }> = []
  #head = 0
  #bytes = 0
  #nextSeq = 1
  #closed = false
  #waiters = new Set<() => void>()

  constructor (limits: EventLogLimits) {
    this.#limits = limits
  }

  /** Seq of the newest event, 0 when empty. */
  get lastSeq (): number {
    return this.#nextSeq - 1
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
    // The final result is never dropped: every reader must be able to end on it.
    while (this.#events.length - this.#head > 1 &&
      (this.#events.length - this.#head > this.#limits.maxEvents || this.#bytes > this.#limits.maxBytes)) {
      this.#bytes -= (this.#events[this.#head] as { bytes: number }).bytes
      this.#head++
    }
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head)
      this.#head = 0
    }
    if (event.event === 'result') this.#closed = true
    for (const wake of this.#waiters) wake()
    this.#waiters.clear()
    return event
  }

  /**
   * Events after `seq`. `reset` is true when some of them are no longer retained; the caller then
   * sends a `reset` and continues from the oldest retained event.
   */
  since (seq: number, limit = 256): { events: RunEvent[], reset: boolean } {
    const oldest = this.#events[this.#head]?.event.seq ?? this.#nextSeq
    const reset = seq + 1 < oldest
    const from = Math.max(seq + 1, oldest)
    const start = this.#head + (from - oldest)
    const events = this.#events.slice(start, start + limit).map((e) => e.event)
    return { events, reset }
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
