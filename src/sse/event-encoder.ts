// Each event is encoded once, as bytes that every stream of the run writes: a thousand clients of one
// run queue references to the same bytes instead of a thousand copies of them. Frames are laid one
// after another in shared slabs, so events encoded in order are consecutive bytes too and a stream
// writes a run of them as one Buffer: one write, and one entry in the socket's queue, for dozens of
// events instead of one each, which is most of what a thousand lagging clients cost the collector.
// Keyed by the event object, so an event dropped from the run's memory takes its bytes with it; a slab
// lives as long as any frame in it is still referenced.
import { formatEvent, type StreamEvent } from './format-event.ts'

const SLAB_BYTES = 32 * 1024
/** A frame larger than this gets a Buffer of its own, so one big event never strands most of a slab. */
const OWN_BUFFER_BYTES = 8 * 1024

export class EventEncoder {
  readonly #cache = new WeakMap<StreamEvent, Buffer>()
  #slab = Buffer.alloc(0)
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
   * `events[from]` and as many of the events after it as lie right behind it in memory, up to
   * `maxBytes` in all and never past a `result`, as one Buffer; `end` is the index after the last.
   */
  chunk (events: readonly StreamEvent[], from: number, maxBytes: number): { bytes: Buffer, end: number } {
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
    return { bytes, end }
  }

  #place (frame: string): Buffer {
    const length = Buffer.byteLength(frame)
    if (length > OWN_BUFFER_BYTES) return Buffer.from(frame)
    if (this.#used + length > this.#slab.length) {
      // Not from Node's shared pool, whose slices are aligned and shared with every other Buffer:
      // frames would not follow one another.
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.#used = 0
    }
    const bytes = this.#slab.subarray(this.#used, this.#used + length)
    bytes.write(frame)
    this.#used += length
    return bytes
  }
}
