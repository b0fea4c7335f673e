// Group commit: many writers wait for one fdatasync instead of each blocking the event loop on its
// own. The sync runs on libuv's thread pool; whoever asks while one is under way waits for the next,
// which starts as soon as that one ends and covers everything written until it starts.
import { fdatasync } from 'node:fs'

export class GroupSync {
  readonly #run: () => Promise<void>
  #inFlight: Promise<void> | null = null
  #next: Promise<void> | null = null

  /** `run`: one sync, started when the previous one has ended (see fdatasyncOf). */
  constructor (run: () => Promise<void>) {
    this.#run = run
  }

  /** Settles once a sync that began after this call has finished: what was written before is on disk. */
  sync (): Promise<void> {
    this.#next ??= (this.#inFlight ?? Promise.resolve()).catch(() => {}).then(() => {
      // From here on, a new caller may have written after this sync began: it needs the next one.
      this.#next = null
      const running = this.#run()
      this.#inFlight = running
      void running.catch(() => {}).then(() => { if (this.#inFlight === running) this.#inFlight = null })
      return running
    })
    return this.#next
  }

  /** Settles when no sync is under way (before the descriptor is closed). */
  async idle (): Promise<void> {
    while (this.#next !== null || this.#inFlight !== null) await (this.#next ?? this.#inFlight)?.catch(() => {})
  }
}

/** fdatasync of the descriptor `fd()` returns when the sync starts, on the thread pool. */
export function fdatasyncOf (fd: () => number): () => Promise<void> {
  return () => new Promise((resolve, reject) => fdatasync(fd(), (error) => error === null ? resolve() : reject(error)))
}
