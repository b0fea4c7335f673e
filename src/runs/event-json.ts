// The JSON of a run event's data, made once and kept on the data object itself when it is long (short
// ones keep only their length, see KEEP_TEXT_CHARS). One event is measured by
// the in-memory log, the store writer and the stored-page cache, written to the store and encoded
// for event streams: five serialisations of the same object, which for a run ending with a 10 MiB
// answer were five 10 MiB strings. Events are never changed once appended, so the text stays right.
// (What is appended is never changed either: events and their data are made for the log.)
// A non-enumerable symbol-keyed property is invisible to JSON.stringify, Object.keys, copies and
// schema validation.
import type { StreamEvent } from '../sse/format-event.ts'

const JSON_TEXT = Symbol('hookgate.eventJson')
const JSON_LENGTH = Symbol('hookgate.eventJsonLength')
/**
 * Only texts at least this long are kept. A short text is cheaper to make again than to keep: kept
 * on an event that lives in the run's in-memory log for a few hundred milliseconds, it outlived the
 * collector's young generation and piled up in the old one, about 40 MB of it for a run that
 * printed 20 MB, before a full collection took it back. Its length is kept instead, for the bounds.
 */
const KEEP_TEXT_CHARS = 16 * 1024

/**
 * `JSON.stringify(value)` for an object never changed once made (an event's data, a final run
 * object), computed on the first call for that object. A run's `result` event and its stored row
 * are the same final run object, so a 10 MiB answer is serialised once for both.
 */
export function jsonOf (value: object): string {
  const carrier = value as { [JSON_TEXT]?: string }
  const known = carrier[JSON_TEXT]
  if (known !== undefined) return known
  const text = JSON.stringify(value)
  // Not enumerable either: copies and deep comparisons see the object as it always was.
  if (Object.isExtensible(carrier)) {
    if (text.length >= KEEP_TEXT_CHARS) Object.defineProperty(carrier, JSON_TEXT, { value: text })
    else if ((carrier as { [JSON_LENGTH]?: number })[JSON_LENGTH] === undefined) Object.defineProperty(carrier, JSON_LENGTH, { value: text.length })
  }
  return text
}

/** `jsonOf(value).length`, without making the text again when its length is known. */
function jsonLength (value: object): number {
  const carrier = value as { [JSON_TEXT]?: string, [JSON_LENGTH]?: number }
  return carrier[JSON_LENGTH] ?? carrier[JSON_TEXT]?.length ?? jsonOf(value).length
}

/**
 * Records `text`, which `value` was just parsed from, as its JSON, for an object that will never be
 * changed: a final run read back from the store is answered with the text it was stored as.
 */
export function keepJson (value: object, text: string): void {
  if (Object.isExtensible(value)) Object.defineProperty(value, JSON_TEXT, { value: text })
}

/** The JSON `jsonOf` made for `value`, or the text `keepJson` recorded for it, if any. */
export function knownJsonOf (value: object): string | undefined {
  return (value as { [JSON_TEXT]?: string })[JSON_TEXT]
}

/** `JSON.stringify(event.data)`, computed once per data object. */
export function eventJson (event: StreamEvent): string {
  return typeof event.data === 'object' && event.data !== null ? jsonOf(event.data) : JSON.stringify(event.data)
}

/** The size by which run events are bounded: their data's JSON and a little for the rest. */
export function eventSize (event: StreamEvent): number {
  const data = event.data
  return (typeof data === 'object' && data !== null ? jsonLength(data) : JSON.stringify(data).length) + 32
}
