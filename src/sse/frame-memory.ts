// Memory of encoded frames, freed as soon as nothing can write it any more instead of when V8's
// collector gets to it. Frames are ArrayBuffers outside V8's heap. An event stream keeps them long
// enough to outlive a young-generation collection (a run's events stay in its in-memory log while
// its readers catch up), and from then on they waited for the next full collection, which V8 puts
// off while its heap is small: 100 readers of a 20 MB run piled up 20 MB of frames and up to
// hundreds of MB of pages read from the store before one came (G-SSE-2, docs/reliability.md).
//
// Freeing memory a write may still be sending would put other memory on the wire, so a buffer is
// freed only from the callback of the last write that holds it, which Node calls once the socket
// has handed every byte to the kernel, and never after a write that failed (the collector takes
// that buffer).

/** Frees `buffer` now: it is detached, and every view of it becomes empty. */
export function freeNow (buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0)
}

/**
 * One buffer of frames laid one after another, and what still holds it: frames whose events are
 * still in a run's memory (a stream may encode and write them again), and writes under way. Once it
 * is full, its events all left memory and no write holds it, it is freed.
 */
export class FrameSlab {
  readonly #buffer: ArrayBuffer
  #frames = 0
  #forgotten = 0
  #writing = 0
  #full = false

  constructor (buffer: ArrayBuffer) {
    this.#buffer = buffer
  }

  /** A frame was placed in it. */
  placed (): void {
    this.#frames++
  }

  /** No more frames will be placed in it. */
  close (): void {
    this.#full = true
    this.#freeIfUnused()
  }

  /** One of its frames belongs to an event that left memory: no stream will write that frame again. */
  forgot (): void {
    this.#forgotten++
    this.#freeIfUnused()
  }

  /** Counts a write of its bytes; the returned function must be that write's callback. */
  writing (): (error?: Error | null) => void {
    this.#writing++
    return this.#written
  }

  readonly #written = (error?: Error | null): void => {
    // After a failed write it is not known whether the socket is done with the bytes: the write
    // stays counted, so the slab is never freed here and the collector takes it.
    if (error != null) return
    this.#writing--
    this.#freeIfUnused()
  }

  #freeIfUnused (): void {
    if (this.#full && this.#writing === 0 && this.#forgotten === this.#frames) freeNow(this.#buffer)
  }
}
