// Streams a run's events as Server-Sent Events on a raw response. Written by hand rather than with
// @fastify/sse because its handler hangs when a client disconnects while waiting on backpressure
// (fastify/sse#54). Every write respects backpressure: it waits for `drain` or `close`, never only
// `drain`, and a client that stops reading for `stallMs` is disconnected. The reader holds only a
// cursor into the run's bounded event log, so a slow client never makes the gateway buffer for it.
import type { ServerResponse } from 'node:http'
import { EventEncoder } from './event-encoder.ts'
import { formatEvent, type FramePage, type StreamEvent } from './format-event.ts'
import { freeNow } from './frame-memory.ts'
import { Heartbeat } from './heartbeat.ts'
import { StreamWriter } from './stream-writer.ts'

export { formatEvent, type StreamEvent } from './format-event.ts'

/**
 * A run's events as a stream reads them: from memory, from the store, or both. Other streams of the
 * same shape (the admin's live run list) implement it too, with their own events and snapshot.
 */
export interface RunEventSource {
  /**
   * Events after `seq`; `reset` when some of them are no longer kept (`events` then start at the
   * oldest kept). Or the ones right after it as the bytes to write, when the source has them so.
   */
  read (afterSeq: number): Promise<{ events: StreamEvent[], reset: boolean } | { frames: FramePage }>
  /** Resolves when an event after `seq` may exist, or `signal` aborts. */
  waitAfter (seq: number, signal: AbortSignal): Promise<void>
  lastSeq (): number
  /** True once no event will follow the ones that exist (the result has been published). */
  closed (): boolean
  /** What a `reset` event carries (for a run: the run object). */
  snapshot (): object
}

export interface SseOptions {
  /** Milliseconds between `: ping` comments while idle. */
  heartbeatMs: number
  /** A client whose socket stays full this long is disconnected. */
  stallMs: number
  /** Bytes allowed in the socket's user-space buffer before the writer waits for it to drain. */
  highWaterBytes: number
  /** Shared by every stream of the app, so all of a run's clients write the same bytes. */
  encoder?: EventEncoder
}

// 64 KiB a client: a thousand clients of one run lagging behind hold 64 MB at most, not 256.
export const DEFAULT_SSE_OPTIONS: SseOptions = { heartbeatMs: 15_000, stallMs: 60_000, highWaterBytes: 64 * 1024 }

/**
 * Sends the status line and headers of an event stream. Without chunked encoding: the body simply
 * ends when the connection closes (a stream ends with its connection anyway), and every write is one
 * piece in the socket's queue instead of three (length, bytes, CRLF), which is most of what a thousand
 * clients of one run cost while they lag.
 */
export function openEventStream (res: ServerResponse, headers: Record<string, string> = {}): void {
  res.useChunkedEncodingByDefault = false
  res.writeHead(200, { ...headers, ...sseHeaders() })
}

export function sseHeaders (): Record<string, string> {
  return {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // The body ends when the connection closes (no chunked encoding, see openEventStream).
    connection: 'close',
    // Reverse proxies such as nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no'
  }
}

/**
 * Writes events after `afterSeq` until the run's `result` has been sent or the client goes away.
 * `first` is sent before anything else (e.g. the run object with its token on creation).
 */
export async function streamRun (res: ServerResponse, source: RunEventSource, afterSeq: number, opts: SseOptions, prelude?: string): Promise<void> {
  const encoder = opts.encoder ?? new EventEncoder()
  const gone = new AbortController()
  const onClose = (): void => gone.abort()
  // A client that half-closes sends nothing more and, if it also stopped reading, would hold the
  // writer until the stall timeout: it is treated as gone at once.
  const onEnd = (): void => {
    gone.abort()
    res.destroy()
  }
  const socket = res.socket
  res.once('close', onClose)
  socket?.once('end', onEnd)
  if (res.destroyed) gone.abort()
  const writer = new StreamWriter(res, gone.signal, opts)
  const heartbeat = new Heartbeat(gone.signal, opts.heartbeatMs)

  let cursor = afterSeq
  try {
    if (prelude !== undefined && !(await writer.write(prelude))) return
    for (;;) {
      const page = await source.read(cursor)
      if ('frames' in page) {
        const bytes = page.frames.bytes
        // A page read for this reader alone: freed once the socket has it (frame-memory.ts).
        const written = writer.write(bytes, page.frames.owned === true ? (error) => { if (error == null) freeNow(bytes.buffer) } : undefined)
        if (written !== true && !(await written)) return
        cursor = page.frames.lastSeq
        if (page.frames.result) return
        continue
      }
      const { events, reset } = page
      if (reset) {
        // Its id is the position the stream restarts from, so ids stay strictly increasing for a
        // stale cursor and a reconnect right after it asks for exactly the retained events.
        const restartAt = (events[0]?.seq ?? source.lastSeq() + 1) - 1
        if (!(await writer.write(formatEvent({ seq: restartAt, event: 'reset', data: source.snapshot() })))) return
        cursor = restartAt
      }
      // Synchronous while the socket takes the bytes: a promise per write per client would be
      // millions of objects for the collector when a thousand clients follow one run.
      for (let i = 0; i < events.length;) {
        const { bytes, end, written: onWritten } = encoder.chunk(events, i, opts.highWaterBytes)
        const written = writer.write(bytes, onWritten)
        if (written !== true && !(await written)) return
        const last = events[end - 1] as StreamEvent
        cursor = last.seq
        if (last.event === 'result') return
        i = end
      }
      if (events.length > 0) continue
      // Nothing after the cursor and nothing to come: the reader already has the result.
      if (source.closed()) return
      await source.waitAfter(cursor, heartbeat.start())
      const idle = heartbeat.stop()
      if (gone.signal.aborted) return
      if (idle && source.lastSeq() === cursor && !(await writer.write(': ping\n\n'))) return
    }
  } finally {
    heartbeat.close()
    writer.close()
    res.off('close', onClose)
    socket?.off('end', onEnd)
    if (!res.destroyed) res.end()
  }
}
