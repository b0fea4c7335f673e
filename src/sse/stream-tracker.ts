// The event streams open right now, so shutdown can let each send its run's result before the
// listener closes and cuts every socket.

export class StreamTracker {
  readonly #open = new Set<Promise<unknown>>()

  get size (): number {
    return this.#open.size
  }

  async track<T> (stream: Promise<T>): Promise<T> {
    this.#open.add(stream)
    try {
      return await stream
    } finally {
      this.#open.delete(stream)
    }
  }

  /** Resolves when every open stream has ended, or after `ms`. */
  async idle (ms: number): Promise<void> {
    if (this.#open.size === 0) return
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })
    await Promise.race([Promise.allSettled([...this.#open]), late])
    clearTimeout(timer)
  }
}
