// An incremental Server-Sent Events parser (WHATWG HTML "event stream interpretation"). Hand-written
// because `hookgate send` must POST a signed body and read the stream from that same response, and
// EventSource (the browser API and the `eventsource` package) can only GET. It is fed raw chunks as
// they arrive, so a line, an event or a multi-byte character may be split anywhere.

export interface SseEvent {
  /** `event:` field, `message` when the event has none. */
  event: string
  /** `data:` lines joined with `\n`. */
  data: string
  /** The last event id seen so far in the stream (ids persist across events, as in EventSource). */
  id: string
  /** `retry:` in milliseconds, when this event carried one. */
  retry?: number
}

export class SseReader {
  readonly #decoder = new TextDecoder('utf-8')
  #buffer = ''
  // A chunk that ends in `\r` may be followed by the `\n` of the same CRLF in the next chunk.
  #skipLeadingLf = false
  #atStart = true
  #data: string[] = []
  #event = ''
  #id = ''
  #retry: number | undefined = undefined

  /** Feeds one chunk; returns the events it completed, in order. */
  push (chunk: Uint8Array | string): SseEvent[] {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true })
    // A byte-order mark may open the stream; it is not content (TextDecoder drops it from bytes already).
    if (this.#atStart && this.#buffer.length > 0) {
      if (this.#buffer.charCodeAt(0) === 0xfeff) this.#buffer = this.#buffer.slice(1)
      this.#atStart = false
    }
    return this.#drainLines()
  }

  /** Ends the stream. An event without its terminating blank line is discarded, as the standard says. */
  end (): SseEvent[] {
    this.#buffer += this.#decoder.decode()
    const events = this.#drainLines()
    this.#buffer = ''
    this.#data = []
    this.#event = ''
    this.#retry = undefined
    return events
  }

  #drainLines (): SseEvent[] {
    const events: SseEvent[] = []
    let start = 0
    if (this.#skipLeadingLf && this.#buffer.length > 0) {
      if (this.#buffer[0] === '\n') start = 1
      this.#skipLeadingLf = false
    }
    for (;;) {
      const cr = this.#buffer.indexOf('\r', start)
      const lf = this.#buffer.indexOf('\n', start)
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf)
      if (end === -1) break
      const line = this.#buffer.slice(start, end)
      start = end + 1
      if (this.#buffer[end] === '\r') {
        if (start < this.#buffer.length) {
          if (this.#buffer[start] === '\n') start++
        } else {
          this.#skipLeadingLf = true
        }
      }
      const event = this.#processLine(line)
      if (event !== null) events.push(event)
    }
    this.#buffer = this.#buffer.slice(start)
    return events
  }

  #processLine (line: string): SseEvent | null {
    if (line === '') return this.#dispatch()
    if (line.startsWith(':')) return null
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event':
        this.#event = value
        break
      case 'data':
        this.#data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) this.#id = value
        break
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#retry = Number(value)
        break
      default:
        // Unknown fields are ignored.
        break
    }
    return null
  }

  #dispatch (): SseEvent | null {
    const hasData = this.#data.length > 0
    const event: SseEvent = { event: this.#event === '' ? 'message' : this.#event, data: this.#data.join('\n'), id: this.#id }
    if (this.#retry !== undefined) event.retry = this.#retry
    this.#data = []
    this.#event = ''
    this.#retry = undefined
    return hasData ? event : null
  }
}

/** The events of a byte stream (e.g. an HTTP response body), as they complete. */
export async function * readSse (body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const reader = new SseReader()
  for await (const chunk of body) yield * reader.push(chunk)
  yield * reader.end()
}
