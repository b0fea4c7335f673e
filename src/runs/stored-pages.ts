// A live run's events read back from the store, for readers that fell behind its in-memory ring.
// A burst that outruns a hundred readers leaves them all reading the same stretch from the store:
// pages start at fixed seqs (multiples of the page size), so they all ask for the very same pages,
// and a page kept here is read, parsed and encoded once for all of them instead of once per reader.
// Only whole pages are kept (the newest may still be filling), the oldest dropped past a byte bound.
import type { RunEvent } from '../schemas/run.ts'
import type { EventPage } from '../store/run-store.ts'
import { eventSize } from './event-json.ts'

/** Reads up to `limit` stored events after `afterSeq`. */
export type ReadStored = (afterSeq: number, limit: number) => Promise<EventPage>

export class StoredPages {
  readonly #size: number
  readonly #maxBytes: number
  /** By page number, oldest first. */
  readonly #pages = new Map<number, { events: RunEvent[], bytes: number }>()
  #bytes = 0

  constructor (size: number, maxBytes: number) {
    this.#size = size
    this.#maxBytes = maxBytes
  }

  /**
   * Up to `limit` events after `seq`, to the end of its page, or null when the store no longer has
   * that whole page (the reader is further behind than it keeps: the caller reads it as it is).
   */
  async after (seq: number, limit: number, read: ReadStored): Promise<RunEvent[] | null> {
    const number = Math.floor(seq / this.#size)
    const first = number * this.#size + 1
    let events = this.#pages.get(number)?.events
    if (events === undefined) {
      const page = await read(first - 1, this.#size)
      events = page.events
      if (page.reset || events[0]?.seq !== first || events.at(-1)?.seq !== first + events.length - 1) return null
      if (events.length === this.#size) this.#keep(number, events)
    }
    const from = seq + 1 - first
    return events.slice(from, from + limit)
  }

  #keep (number: number, events: RunEvent[]): void {
    // Two readers missed it at once (a store that answers asynchronously): the first copy stays.
    if (this.#pages.has(number)) return
    const bytes = events.reduce((n, e) => n + eventSize(e), 0)
    this.#pages.set(number, { events, bytes })
    this.#bytes += bytes
    for (const [old, page] of this.#pages) {
      if (this.#bytes <= this.#maxBytes || old === number) break
      this.#pages.delete(old)
      this.#bytes -= page.bytes
    }
  }
}
