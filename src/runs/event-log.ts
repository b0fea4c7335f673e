// A run's events, in order, bounded in count and bytes: a run that streams without end cannot grow
// the gateway. Readers hold only a cursor (the last seq they saw), so a slow reader costs nothing;
// one that falls behind what is retained learns it from `since()` and gets a `reset`.
import type { RunEvent } from '../schemas/run.ts'
import { eventSize } from './event-json.ts'

export interface EventLogLimits {
  maxEvents: number
  maxBytes: number
}

export interface EventLogOptions extends EventLogLimits {
  /** Called with each event the log lets go of, so what was made from it can be freed (its stream frame). */
  onDrop?: (event: RunEvent) => void
}

type NewEvent = RunEvent extends infer E ? E extends RunEvent ? Omit<E, 'seq'> : never : never

export class EventLog {
  readonly #limits: EventLogLimits
  readonly #onDrop: ((event: RunEvent) => void) | undefined
  // Dropped slots are nulled at once (so their data can be collected) and the array is compacted
  // now and then; without the first, up to 1024 dropped events would stay reachable.
  #events: Array<{ event: RunEvent, bytes: number } | null> = []
  #head = 0
  #bytes = 0
  #nextSeq = 1
  #closed = false
  /**
   * Readers waiting for the next event, by the signal that ends their wait. A stream waits once per
   * batch of events with the same signal, so one abort listener per signal serves all its waits: a
   * listener added and removed per wait is most of what waiting costs a thousand clients.
   */
  readonly #waiters = new Map<AbortSignal, { after: number, wake: () => void }>()
  readonly #listening = new WeakSet<AbortSignal>()
  /**
   * Waiters are woken once the task that appended has finished, not once per event: an agent's output
   * arrives a few lines per read, and waking a thousand streams for each event had each of them read,
   * write and wait again thousands of times per run, each time objects for the collector. A microtask
   * rather than the next turn of the event loop: waiting for the turn put every other I/O callback of
   * the loop (a run starting, a request) between an agent's line and its readers.
   */
  #wakeDue = false

  constructor (opts: EventLogOptions, nextSeq = 1) {
    this.#limits = { maxEvents: opts.maxEvents, maxBytes: opts.maxBytes }
    this.#onDrop = opts.onDrop
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
    const bytes = eventSize(event)
    this.#events.push({ event, bytes })
    this.#bytes += bytes
    this.#evict(this.#limits)
    if (event.event === 'result') this.#closed = true
    if (!this.#wakeDue) {
      this.#wakeDue = true
      queueMicrotask(this.#wakeAll)
    }
    return event
  }

  readonly #wakeAll = (): void => {
    this.#wakeDue = false
    // Only those with something new: a reader may have started waiting after this wake was due.
    for (const [signal, waiter] of this.#waiters) {
      if (this.lastSeq > waiter.after || this.#closed) this.#wake(signal)
    }
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
      const dropped = this.#events[this.#head] as { event: RunEvent, bytes: number }
      this.#bytes -= dropped.bytes
      this.#events[this.#head] = null
      this.#head++
      this.#onDrop?.(dropped.event)
    }
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head)
      this.#head = 0
    }
  }

  /** Resolves when an event after `seq` exists, the log is closed, or `signal` aborts. */
  waitAfter (seq: number, signal: AbortSignal): Promise<void> {
    if (this.lastSeq > seq || this.#closed || signal.aborted) return Promise.resolve()
    if (!this.#listening.has(signal)) {
      this.#listening.add(signal)
      signal.addEventListener('abort', () => this.#wake(signal), { once: true })
    }
    return new Promise((resolve) => {
      const before = this.#waiters.get(signal)
      this.#waiters.set(signal, before === undefined
        ? { after: seq, wake: resolve }
        : { after: Math.min(seq, before.after), wake: () => { before.wake(); resolve() } })
    })
  }

  #wake (signal: AbortSignal): void {
    const waiter = this.#waiters.get(signal)
    this.#waiters.delete(signal)
    waiter?.wake()
  }
}
