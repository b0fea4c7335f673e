// Each event is encoded once, as one Buffer that every stream of the run writes: a thousand clients
// of one run queue references to the same bytes instead of a thousand copies of them (and a thousand
// strings for the collector). Keyed by the event object, so an event dropped from the run's memory
// takes its bytes with it.
import { formatEvent, type StreamEvent } from './format-event.ts'

export class EventEncoder {
  readonly #cache = new WeakMap<StreamEvent, Buffer>()

  encode (event: StreamEvent): Buffer {
    let bytes = this.#cache.get(event)
    if (bytes === undefined) {
      bytes = Buffer.from(formatEvent(event))
      this.#cache.set(event, bytes)
    }
    return bytes
  }
}
