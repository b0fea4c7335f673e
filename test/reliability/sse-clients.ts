// Raw event-stream clients for the reliability tests: thousands of them in one process, so no
// EventSource and no fetch (each frame would become strings and promises). Frames are parsed from
// Buffers as the gateway writes them (`id:`, `event:`, `data:` lines, `\n` line ends, a blank line
// after each frame; `:` comments), and `data` is handed over as a slice the receiver decodes only
// if it needs to. A stalled client is a bare socket that sends its request and never reads a byte.
import { request, type ClientRequest } from 'node:http'
import { connect, type Socket } from 'node:net'

export interface SseFrame {
  id: number | null
  event: string
  /** The data lines joined by `\n`; a view into the received chunk: copy it to keep it. */
  data: Buffer
}

const NL = 0x0a
const COLON = 0x3a
const SPACE = 0x20

/** Splits a byte stream into frames; `push` every chunk in order. */
export class SseParser {
  readonly #onFrame: (frame: SseFrame) => void
  readonly #onComment: () => void
  /** The start of a frame whose end has not arrived yet. */
  #rest: Buffer | null = null

  constructor (onFrame: (frame: SseFrame) => void, onComment: () => void = () => {}) {
    this.#onFrame = onFrame
    this.#onComment = onComment
  }

  push (chunk: Buffer): void {
    let from = 0
    if (this.#rest !== null) {
      // Only the frame cut by the previous chunk is copied, never the whole stream.
      const rest = this.#rest
      let end: number
      let cut: Buffer
      if (rest[rest.length - 1] === NL && chunk[0] === NL) {
        cut = rest.subarray(0, rest.length - 1)
        end = 1
      } else {
        const at = chunk.indexOf('\n\n')
        if (at === -1) {
          this.#rest = Buffer.concat([rest, chunk])
          return
        }
        cut = Buffer.concat([rest, chunk.subarray(0, at)])
        end = at + 2
      }
      this.#rest = null
      this.#frame(cut, 0, cut.length)
      from = end
    }
    for (;;) {
      const at = chunk.indexOf('\n\n', from)
      if (at === -1) break
      this.#frame(chunk, from, at)
      from = at + 2
    }
    if (from < chunk.length) this.#rest = Buffer.from(chunk.subarray(from))
  }

  #frame (buf: Buffer, start: number, end: number): void {
    let id: number | null = null
    let event = 'message'
    let data: Buffer | null = null
    let fields = 0
    for (let line = start; line < end;) {
      let eol = buf.indexOf(NL, line)
      if (eol === -1 || eol > end) eol = end
      if (buf[line] !== COLON) {
        let colon = buf.indexOf(COLON, line)
        if (colon === -1 || colon > eol) colon = eol
        let value = colon + 1
        if (value < eol && buf[value] === SPACE) value++
        const name = buf.toString('latin1', line, colon)
        fields++
        if (name === 'id') id = digits(buf, value, eol)
        else if (name === 'event') event = buf.toString('utf8', value, eol)
        else if (name === 'data') {
          const piece = buf.subarray(Math.min(value, eol), eol)
          data = data === null ? piece : Buffer.concat([data, Buffer.from('\n'), piece])
        }
      }
      line = eol + 1
    }
    if (fields === 0) this.#onComment()
    else this.#onFrame({ id, event, data: data ?? Buffer.alloc(0) })
  }
}

function digits (buf: Buffer, from: number, to: number): number | null {
  if (from >= to) return null
  let n = 0
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30
    if (d < 0 || d > 9) return null
    n = n * 10 + d
  }
  return n
}

export interface SseEnd {
  /** The server ended the response (as opposed to a reset, an error or close()). */
  ended: boolean
  error: string | null
}

export interface SseClient {
  /** The response status; for anything but 200, `body` has the answer. */
  status: Promise<number>
  body: Promise<string>
  done: Promise<SseEnd>
  /** Bytes of event stream received so far. */
  received: () => number
  /** Goes away without a word (the socket is destroyed). */
  close: () => void
}

export interface SseOptions {
  headers?: Record<string, string>
  onFrame: (frame: SseFrame) => void
  onComment?: () => void
}

/** GET `url` as an event stream on a connection of its own. */
export function openSse (url: string, opts: SseOptions): SseClient {
  const target = new URL(url)
  let received = 0
  let closedByUs = false
  let req: ClientRequest
  let resolveStatus!: (status: number) => void
  let resolveBody!: (body: string) => void
  const status = new Promise<number>((resolve) => { resolveStatus = resolve })
  const body = new Promise<string>((resolve) => { resolveBody = resolve })
  const done = new Promise<SseEnd>((resolve) => {
    req = request({
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: 'GET',
      headers: { accept: 'text/event-stream', ...opts.headers },
      agent: false
    }, (res) => {
      resolveStatus(res.statusCode ?? 0)
      if (res.statusCode !== 200) {
        let text = ''
        res.setEncoding('utf8').on('data', (c: string) => { text += c })
        res.on('end', () => { resolveBody(text); resolve({ ended: true, error: null }) })
        res.on('error', () => { resolveBody(text); resolve({ ended: false, error: 'aborted' }) })
        return
      }
      resolveBody('')
      const parser = new SseParser(opts.onFrame, opts.onComment)
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        parser.push(chunk)
      })
      res.on('end', () => resolve({ ended: true, error: null }))
      // A response cut off before its end emits 'aborted'/'error' or only 'close'.
      res.on('error', (err) => resolve({ ended: false, error: closedByUs ? null : err.message }))
      res.on('close', () => resolve({ ended: res.complete, error: res.complete || closedByUs ? null : 'closed before the end' }))
    })
    req.on('error', (err) => {
      resolveStatus(0)
      resolveBody('')
      resolve({ ended: false, error: closedByUs ? null : err.message })
    })
    req.end()
  })
  return {
    status,
    body,
    done,
    received: () => received,
    close: () => {
      closedByUs = true
      req.destroy()
    }
  }
}

export interface StalledClient {
  connected: Promise<void>
  socket: Socket
  /** Sends FIN and keeps not reading. */
  halfClose: () => void
  /** Starts reading at last: everything that waited in the kernel, until the server's end (or `ms`). */
  readAll: (ms: number) => Promise<{ bytes: number, text: string, closed: boolean }>
  destroy: () => void
}

/** A client that sends `GET url` and then never reads: not the headers, not a byte. */
export function stalledClient (url: string, headers: Record<string, string> = {}): StalledClient {
  const target = new URL(url)
  const socket = connect(Number(target.port), target.hostname)
  // Before the connection exists, so the socket never starts reading.
  socket.pause()
  socket.on('error', () => {})
  const head = Object.entries({ host: target.host, accept: 'text/event-stream', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\n${head}\r\n`)
      resolve()
    })
    socket.once('error', reject)
  })
  return {
    connected,
    socket,
    halfClose: () => { socket.end() },
    readAll: async (ms) => {
      const chunks: Buffer[] = []
      let bytes = 0
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms)
        socket.on('data', (c: Buffer) => { bytes += c.length; chunks.push(c) })
        socket.once('close', () => { clearTimeout(timer); resolve(true) })
        socket.resume()
      })
      return { bytes, text: Buffer.concat(chunks).toString('utf8'), closed }
    },
    destroy: () => { socket.destroy() }
  }
}
