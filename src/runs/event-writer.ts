// Writes runs' events to the store in small batches (one transaction per batch, not per line of
// output), keeping each run's stored log within its bounds. Events a fault kept from the store wait
// here, in order, for the next attempt; what the store would drop anyway is not kept waiting.
//
// A batch is bounded in events and bytes, and the writer lets the event loop turn between batches:
// the SQLite store writes synchronously, and an agent flooding its output piled up 25 ms of events
// (thousands of stderr lines, megabytes of text) that went into one transaction of 20–50 ms, during
// which no other run's events reached their readers.
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { RunEvent } from '../schemas/run.ts'
import type { RunStore } from '../store/run-store.ts'
import type { EventLogLimits } from './event-log.ts'
import { SeqWindow } from './seq-window.ts'
import { eventSize } from './event-json.ts'

const FLUSH_MS = 25
/** Per transaction: about a millisecond of SQLite's time on a small machine. */
const BATCH_EVENTS = 256
const BATCH_BYTES = 256 * 1024

export interface EventWriterOptions {
  store: RunStore
  limits: EventLogLimits
  /** A batch could not be written; it stays pending. */
  onFailed: (id: string, error: unknown) => void
}

export class EventWriter {
  readonly #opts: EventWriterOptions
  readonly #windows = new Map<string, SeqWindow>()
  readonly #pending = new Map<string, RunEvent[]>()
  #timer: NodeJS.Timeout | undefined

  constructor (opts: EventWriterOptions) {
    this.#opts = opts
  }

  /** Queues an event; a batch goes out within FLUSH_MS. */
  push (id: string, event: RunEvent): void {
    let window = this.#windows.get(id)
    if (window === undefined) {
      window = new SeqWindow(this.#opts.limits)
      this.#windows.set(id, window)
    }
    window.push(event.seq, eventSize(event))
    const pending = this.#pending.get(id) ?? []
    pending.push(event)
    const keep = pending.findIndex((e) => e.seq >= window.oldest)
    if (keep > 0) pending.splice(0, keep)
    this.#pending.set(id, pending)
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined
      void this.flushAll()
    }, FLUSH_MS)
  }

  /**
   * Writes what is pending for one run when called, batch by batch; rejects (keeping the rest
   * pending) when the store fails. Concurrent flushes of a run take their batches from the front of
   * the same queue, one at a time, so everything is written in order.
   */
  async flush (id: string): Promise<void> {
    const last = this.#pending.get(id)?.at(-1)?.seq
    if (last === undefined) return
    for (;;) {
      const pending = this.#pending.get(id)
      if (pending === undefined || (pending[0]?.seq ?? Infinity) > last) return
      const batch = takeBatch(pending, last)
      if (pending.length === 0) this.#pending.delete(id)
      try {
        await this.#opts.store.appendEvents(id, batch, this.#oldest(id))
      } catch (error) {
        // Back in front of anything queued meanwhile, so the order holds for the next attempt.
        this.#pending.set(id, [...batch, ...(this.#pending.get(id) ?? [])])
        throw error
      }
      if ((this.#pending.get(id)?.[0]?.seq ?? Infinity) <= last) await nextTurn()
    }
  }

  async flushAll (): Promise<void> {
    for (const id of [...this.#pending.keys()]) {
      await this.flush(id).catch((error: unknown) => this.#opts.onFailed(id, error))
    }
  }

  /**
   * Starts writing what is pending for one run without waiting: a synchronous store has written it
   * when this returns (for a process about to exit).
   */
  flushNow (id: string): void {
    const pending = this.#pending.get(id) ?? []
    this.#pending.delete(id)
    this.#opts.store.appendEvents(id, pending, this.#oldest(id)).catch(() => {})
  }

  /** Drops what is known of a run: it was never stored, or it is completely stored. */
  forget (id: string): void {
    this.#pending.delete(id)
    this.#windows.delete(id)
  }

  stop (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #oldest (id: string): number {
    return this.#windows.get(id)?.oldest ?? 1
  }
}

/** Takes the first events of `pending` up to seq `last` (at least one) that fit in one batch. */
function takeBatch (pending: RunEvent[], last: number): RunEvent[] {
  let n = 0
  let bytes = 0
  while (n < pending.length && n < BATCH_EVENTS && (pending[n] as RunEvent).seq <= last) {
    bytes += eventSize(pending[n] as RunEvent)
    if (n > 0 && bytes > BATCH_BYTES) break
    n++
  }
  return pending.splice(0, n)
}
