// A launched process's output on the gateway's side of the spawner: chunks arrive as IPC messages
// and wait here for the one consumer. What it has consumed is acknowledged back, in steps, so the
// spawner reads at most a window ahead and this queue stays bounded by that window.
import type { OutputChunk } from '../launcher.ts'

type Stream = OutputChunk['stream']

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
    while (true) {
      const chunk = this.#chunks.shift()
      if (chunk !== undefined) {
        this.#consumed(chunk.chunk.length)
        this.#reportDone()
        yield chunk
        continue
      }
      if (this.#open.size === 0) return
      await new Promise<void>((resolve) => { this.#wake = resolve })
    }
  }

  #consumed (bytes: number): void {
    this.#unacked += bytes
    // Caught up, or a step consumed: tell the spawner it may read on.
    if (this.#unacked >= this.#ackStep || this.#chunks.length === 0) {
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
