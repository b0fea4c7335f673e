// A launched process's output on the gateway's side of the spawner: chunks arrive as IPC messages
// and wait here for the one consumer. What it has consumed is acknowledged back, in steps, so the
// spawner reads at most a window ahead and this queue stays bounded by that window.
import type { OutputChunk } from '../launcher.ts'

type Stream = OutputChunk['stream']

const EMPTY = new Uint8Array(0)
/** Output is handed to the consumer in pieces of at most this size (a pipe read is up to 64 KiB). */
const PIECE_BYTES = 8 * 1024
/** After this long consuming without a break, the event loop gets a turn. */
const SLICE_MS = 2

export class OutputQueue implements AsyncIterable<OutputChunk> {
  readonly #chunks: OutputChunk[] = []
  readonly #open = new Set<Stream>(['stdout', 'stderr'])
  readonly #ack: (bytes: number) => void
  readonly #ackStep: number
  readonly #onDone: () => void
  #wake: (() => void) | null = null
  #unacked = 0
  #doneReported = false

  constructor (opts: { ack: (bytes: number) => void, ackStep: number, onDone: () => void }) {
    this.#ack = opts.ack
    this.#ackStep = opts.ackStep
    this.#onDone = opts.onDone
  }

  /** Both streams have ended and everything was handed over (or dropped by a release). */
  get done (): boolean {
    return this.#open.size === 0 && this.#chunks.length === 0
  }

  push (chunk: OutputChunk): void {
    if (!this.#open.has(chunk.stream)) return
    this.#chunks.push(chunk)
    this.#notify()
  }

  /** Bytes the spawner read and dropped (past the cap): handed over as a count, in order. */
  skip (stream: Stream, bytes: number): void {
    this.push({ stream, chunk: EMPTY, skipped: bytes })
  }

  end (stream: Stream): void {
    if (!this.#open.delete(stream)) return
    this.#notify()
    this.#reportDone()
  }

  /** Ends the output now: nothing more is handed over, not even what already arrived. */
  release (): void {
    this.#chunks.length = 0
    this.end('stdout')
    this.end('stderr')
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<OutputChunk> {
    let sliceStart = performance.now()
    while (true) {
      // The consumer handles each piece synchronously (splitting, events, streams, the store): without
      // a turn of the event loop now and then, a burst of output would hold every other run's events
      // and every request back until the whole window is consumed.
      if (performance.now() - sliceStart >= SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve))
        sliceStart = performance.now()
      }
      const chunk = this.#next()
      if (chunk !== undefined) {
        this.#consumed(chunk.chunk.length)
        this.#reportDone()
        yield chunk
        continue
      }
      if (this.#open.size === 0) return
      await new Promise<void>((resolve) => { this.#wake = resolve })
      sliceStart = performance.now()
    }
  }

  /** The next piece: at most PIECE_BYTES, so that one piece is a short task. */
  #next (): OutputChunk | undefined {
    const first = this.#chunks[0]
    if (first === undefined) return undefined
    if (first.chunk.length <= PIECE_BYTES) return this.#chunks.shift()
    const { stream, chunk, skipped } = first
    this.#chunks[0] = { stream, chunk: chunk.subarray(PIECE_BYTES) }
    return { stream, chunk: chunk.subarray(0, PIECE_BYTES), ...(skipped === undefined ? {} : { skipped }) }
  }

  #consumed (bytes: number): void {
    this.#unacked += bytes
    // Caught up, or a step consumed: tell the spawner it may read on.
    if (this.#unacked > 0 && (this.#unacked >= this.#ackStep || this.#chunks.length === 0)) {
      this.#ack(this.#unacked)
      this.#unacked = 0
    }
  }

  #reportDone (): void {
    if (!this.done || this.#doneReported) return
    this.#doneReported = true
    this.#onDone()
  }

  #notify (): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }
}
