// Writes runs' events to the store in small batches (one transaction per batch, not per line of
// output), keeping each run's stored log within its bounds. Events a fault kept from the store wait
// here, in order, for the next attempt; what the store would drop anyway is not kept waiting.
import type { RunEvent } from '../schemas/run.ts'
import type { RunStore } from '../store/run-store.ts'
import type { EventLogLimits } from './event-log.ts'
import { SeqWindow } from './seq-window.ts'
import { eventSize } from './event-json.ts'

const FLUSH_MS = 25

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

  /** Writes what is pending for one run; rejects (keeping it pending) when the store fails. */
  async flush (id: string): Promise<void> {
    const pending = this.#pending.get(id)
    if (pending === undefined || pending.length === 0) return
    this.#pending.delete(id)
    try {
      await this.#opts.store.appendEvents(id, pending, this.#oldest(id))
    } catch (error) {
      // Back in front of anything queued meanwhile, so the order holds for the next attempt.
      this.#pending.set(id, [...pending, ...(this.#pending.get(id) ?? [])])
      throw error
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
