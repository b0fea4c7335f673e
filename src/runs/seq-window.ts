// Which of a run's events the store keeps: the newest ones within a count and a byte bound. Holds only
// (seq, size) pairs, so the store's log can be larger than the in-memory ring at little cost.
import type { EventLogLimits } from './event-log.ts'

export class SeqWindow {
  readonly #limits: EventLogLimits
  #seqs: number[] = []
  #sizes: number[] = []
  #head = 0
  #bytes = 0

  constructor (limits: EventLogLimits) {
    this.#limits = limits
  }

  /** Records an event; returns the oldest seq still kept. */
  push (seq: number, bytes: number): number {
    this.#seqs.push(seq)
    this.#sizes.push(bytes)
    this.#bytes += bytes
    // The newest event always stays, as in the ring: a reader must be able to end on the result.
    while (this.#seqs.length - this.#head > 1 &&
      (this.#seqs.length - this.#head > this.#limits.maxEvents || this.#bytes > this.#limits.maxBytes)) {
      this.#bytes -= this.#sizes[this.#head] as number
      this.#head++
    }
    if (this.#head > 4096 && this.#head * 2 > this.#seqs.length) {
      this.#seqs = this.#seqs.slice(this.#head)
      this.#sizes = this.#sizes.slice(this.#head)
      this.#head = 0
    }
    return this.oldest
  }

  get oldest (): number {
    return this.#seqs[this.#head] ?? 1
  }
}
