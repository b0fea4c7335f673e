// Each event is encoded once, as bytes that every stream of the run writes: a thousand clients of one
// run queue references to the same bytes instead of a thousand copies of them. Frames are laid one
// after another in shared slabs, so events encoded in order are consecutive bytes too and a stream
// writes a run of them as one Buffer: one write, and one entry in the socket's queue, for dozens of
// events instead of one each, which is most of what a thousand lagging clients cost the collector.
// Keyed by the event object, so an event dropped from the run's memory takes its bytes with it. A slab
// is freed as soon as every event in it has been forgotten and no write holds it (frame-memory.ts);
// one that holds events never forgotten (another kind of stream's) is left to the collector.
import { formatEvent, type StreamEvent } from './format-event.ts'
import { FrameSlab } from './frame-memory.ts'

const SLAB_BYTES = 32 * 1024
/** A frame larger than this gets a Buffer of its own, so one big event never strands most of a slab. */
const OWN_BUFFER_BYTES = 8 * 1024

export class EventEncoder {
  readonly #cache = new WeakMap<StreamEvent, Buffer>()
  readonly #slabs = new WeakMap<ArrayBufferLike, FrameSlab>()
  #slab: Buffer = Buffer.alloc(0)
  #used = 0

  encode (event: StreamEvent): Buffer {
    let bytes = this.#cache.get(event)
    if (bytes === undefined) {
      bytes = this.#place(formatEvent(event))
      this.#cache.set(event, bytes)
    }
    return bytes
  }

  /**
   * The event is no longer in any run's memory, so no stream will ask for its frame again: its share
   * of the slab may be freed. A stream that still holds the event and asks anyway gets a new frame.
   */
  forget (event: StreamEvent): void {
    const bytes = this.#cache.get(event)
    if (bytes === undefined) return
    this.#cache.delete(event)
    this.#slabs.get(bytes.buffer)?.forgot()
  }

  /**
   * `events[from]` and as many of the events after it as lie right behind it in memory, up to
   * `maxBytes` in all and never past a `result`, as one Buffer; `end` is the index after the last.
   * `written` must be the callback of the write of `bytes`: until it is called, they are not freed.
   */
  chunk (events: readonly StreamEvent[], from: number, maxBytes: number): { bytes: Buffer, end: number, written: (error?: Error | null) => void } {
    const first = this.encode(events[from] as StreamEvent)
    let length = first.length
    let end = from + 1
    while (end < events.length && (events[end - 1] as StreamEvent).event !== 'result') {
      const next = this.encode(events[end] as StreamEvent)
      if (next.buffer !== first.buffer || next.byteOffset !== first.byteOffset + length || length + next.length > maxBytes) break
      length += next.length
      end++
    }
    const bytes = end === from + 1 ? first : Buffer.from(first.buffer, first.byteOffset, length)
    return { bytes, end, written: (this.#slabs.get(first.buffer) as FrameSlab).writing() }
  }

  #place (frame: string): Buffer {
    const length = Buffer.byteLength(frame)
    if (length > OWN_BUFFER_BYTES) {
      const own = this.#newSlab(length)
      own.write(frame)
      const slab = this.#slabs.get(own.buffer) as FrameSlab
      slab.placed()
      slab.close()
      return own
    }
    if (this.#used + length > this.#slab.length) {
      this.#slabs.get(this.#slab.buffer)?.close()
      this.#slab = this.#newSlab(SLAB_BYTES)
      this.#used = 0
    }
    const bytes = this.#slab.subarray(this.#used, this.#used + length)
    bytes.write(frame)
    this.#used += length
    this.#slabs.get(this.#slab.buffer)?.placed()
    return bytes
  }

  #newSlab (bytes: number): Buffer {
    // Not from Node's shared pool, whose slices are aligned and shared with every other Buffer:
    // frames would not follow one another, and a slab could not be freed on its own.
    const buffer = Buffer.allocUnsafeSlow(bytes)
    this.#slabs.set(buffer.buffer, new FrameSlab(buffer.buffer as ArrayBuffer))
    return buffer
  }
}
