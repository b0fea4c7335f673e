// Group commit: many writers wait for one fdatasync instead of each blocking the event loop on its
// own. The sync runs on libuv's thread pool; whoever asks while one is under way waits for the next,
// which starts as soon as that one ends and covers everything written until it starts.
import { fdatasync } from 'node:fs'

export class GroupSync {
  readonly #fd: () => number
  #inFlight: Promise<void> | null = null
  #next: Promise<void> | null = null

  /** `fd`: the descriptor to sync, asked when a sync starts. */
  constructor (fd: () => number) {
    this.#fd = fd
  }

  /** Settles once a sync that began after this call has finished: what was written before is on disk. */
  sync (): Promise<void> {
    this.#next ??= (this.#inFlight ?? Promise.resolve()).catch(() => {}).then(() => {
      // From here on, a new caller may have written after this sync began: it needs the next one.
      this.#next = null
      const running = datasync(this.#fd())
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

function datasync (fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => error === null ? resolve() : reject(error)))
}
