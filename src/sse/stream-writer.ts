// Writes one event stream's bytes with backpressure: synchronously while the socket takes them, then
// waiting for `drain` or for the client to be gone (never only `drain`), and cutting off a client that
// has not drained for `stallMs`. One drain listener and one stall timer serve every wait of the
// stream: a slow client makes the writer wait thousands of times, and a promise, signal and timer
// each time would be garbage by the thousand per client.
import type { ServerResponse } from 'node:http'

export interface StreamWriterOptions {
  /** Bytes allowed in the socket's user-space buffer before the writer waits for it to drain. */
  highWaterBytes: number
  /** A client whose socket stays full this long is disconnected. */
  stallMs: number
}

export class StreamWriter {
  readonly #res: ServerResponse
  readonly #opts: StreamWriterOptions
  readonly #gone: AbortSignal
  /** Settles the wait under way, if any. */
  #settle: ((drained: boolean) => void) | null = null
  #stall: NodeJS.Timeout | undefined

  constructor (res: ServerResponse, gone: AbortSignal, opts: StreamWriterOptions) {
    this.#res = res
    this.#gone = gone
    this.#opts = opts
    res.on('drain', this.#onDrain)
    gone.addEventListener('abort', this.#onGone)
  }

  /**
   * True when written (or queued within the bound); a promise when it had to wait: false once the
   * client is gone or cut off. `onWritten` is the write's callback: called once the socket has
   * handed all of `chunk` to the kernel, or with an error; not at all when nothing was written.
   */
  write (chunk: string | Buffer, onWritten?: (error?: Error | null) => void): boolean | Promise<boolean> {
    const res = this.#res
    if (this.#gone.aborted || res.destroyed) return false
    const written = onWritten === undefined ? res.write(chunk) : res.write(chunk, onWritten)
    if (written || res.writableLength <= this.#opts.highWaterBytes) return true
    return new Promise<boolean>((resolve) => {
      this.#settle = resolve
      // Restarted at every wait, so when it fires during one, that wait has lasted stallMs.
      if (this.#stall === undefined) this.#stall = setTimeout(this.#onStall, this.#opts.stallMs)
      else this.#stall.refresh()
    })
  }

  /** Removes the listeners and the timer; call once the stream is over. */
  close (): void {
    clearTimeout(this.#stall)
    this.#res.off('drain', this.#onDrain)
    this.#gone.removeEventListener('abort', this.#onGone)
    this.#done(false)
  }

  readonly #onDrain = (): void => { this.#done(true) }
  readonly #onGone = (): void => { this.#done(false) }

  readonly #onStall = (): void => {
    // Between waits the timer may still fire: it is not restarted when a wait ends.
    if (this.#settle === null) return
    this.#res.destroy()
    this.#done(false)
  }

  #done (drained: boolean): void {
    const settle = this.#settle
    this.#settle = null
    settle?.(drained)
  }
}
