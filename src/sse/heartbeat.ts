// The idle timer of one event stream: while it waits for its run's next event, a `: ping` is due
// after `ms` of silence, so proxies and clients see the connection alive. One timer and one signal
// serve every wait until a ping is due: a stream of a busy run waits once per batch of events, and a
// controller, a timer and a combined signal each time would be garbage by the thousand per client.
export class Heartbeat {
  readonly #gone: AbortSignal
  readonly #ms: number
  #idle = new AbortController()
  /** Aborts when the client is gone or a ping is due. */
  #signal: AbortSignal
  #timer: NodeJS.Timeout | undefined
  #waiting = false

  constructor (gone: AbortSignal, ms: number) {
    this.#gone = gone
    this.#ms = ms
    this.#signal = AbortSignal.any([gone, this.#idle.signal])
  }

  /** Starts a wait: the signal aborts when the client is gone or after `ms`. */
  start (): AbortSignal {
    if (this.#idle.signal.aborted) {
      this.#idle = new AbortController()
      this.#signal = AbortSignal.any([this.#gone, this.#idle.signal])
    }
    this.#waiting = true
    // Restarted at every wait, so when it fires during one, that wait has lasted `ms`.
    if (this.#timer === undefined) this.#timer = setTimeout(this.#onTimer, this.#ms)
    else this.#timer.refresh()
    return this.#signal
  }

  /** Ends the wait; true when it ended because `ms` passed (a ping is due). */
  stop (): boolean {
    this.#waiting = false
    return this.#idle.signal.aborted
  }

  close (): void {
    clearTimeout(this.#timer)
  }

  readonly #onTimer = (): void => {
    // It is not stopped when a wait ends: firing between waits means nothing.
    if (this.#waiting) this.#idle.abort()
  }
}
