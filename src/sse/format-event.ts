// The wire form of one Server-Sent Event.
import { eventJson } from '../runs/event-json.ts'

/** One event as a stream writes it; a run's own events (RunEvent in src/schemas/run.ts) are the main kind. */
export interface StreamEvent {
  seq: number
  event: string
  data: unknown
}

export function formatEvent (e: StreamEvent): string {
  return `id: ${e.seq}\nevent: ${e.event}\ndata: ${eventJson(e)}\n\n`
}

/**
 * Consecutive events already in their wire form, as a store can make them without decoding them
 * (src/store/sqlite-store.ts lays out the same text as formatEvent).
 */
export interface FramePage {
  bytes: Buffer
  /** Seq of the last event in `bytes`. */
  lastSeq: number
  /** The last event is the run's `result`. */
  result: boolean
  /** `bytes` is the whole of its own ArrayBuffer, referenced nowhere else: the stream frees it once written. */
  owned?: boolean
}
