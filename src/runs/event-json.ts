// The JSON of a run event's data, made once and kept on the event itself. One event is measured by
// the in-memory log, the store writer and the stored-page cache, written to the store and encoded
// for event streams: five serialisations of the same object, which for a run ending with a 10 MiB
// answer were five 10 MiB strings. Events are never changed once appended, so the text stays right.
// A non-enumerable symbol-keyed property is invisible to JSON.stringify, Object.keys, copies and
// schema validation.
import type { StreamEvent } from '../sse/format-event.ts'

const JSON_TEXT = Symbol('hookgate.eventJson')

type Carrier = StreamEvent & { [JSON_TEXT]?: string }

/** `JSON.stringify(event.data)`, computed on the first call for this event object. */
export function eventJson (event: StreamEvent): string {
  const carrier = event as Carrier
  const known = carrier[JSON_TEXT]
  if (known !== undefined) return known
  const text = JSON.stringify(event.data)
  // Not enumerable either: copies and deep comparisons see the event as it always was.
  Object.defineProperty(carrier, JSON_TEXT, { value: text })
  return text
}

/** The size by which run events are bounded: their data's JSON and a little for the rest. */
export function eventSize (event: StreamEvent): number {
  return eventJson(event).length + 32
}
