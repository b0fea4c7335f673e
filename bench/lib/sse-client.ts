// A raw Server-Sent Events client on node:http, light enough to run a thousand at once: frames are
// split by hand and handed over with their raw `data`, and the moment the chunk holding them arrived.
import { request } from 'node:http'

export interface SseFrame {
  id: number | null
  event: string
  data: string
}

export interface SseOptions {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  /** Called for every frame; `receivedAt` is the wall clock (epoch ms, sub-ms) when its chunk arrived. */
  onFrame: (frame: SseFrame, receivedAt: number) => void
}

export interface SseStream {
  /** The response status, once headers arrive (0 on a connection error). */
  status: Promise<number>
  /** When the server ends the stream or the connection fails. */
  done: Promise<{ error: string | null }>
  close: () => void
}

export function wallClock (): number {
  return performance.timeOrigin + performance.now()
}

function parseFrame (block: string): SseFrame | null {
  let id: number | null = null
  let event = 'message'
  let data = ''
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) id = Number(line.slice(4))
    else if (line.startsWith('event: ')) event = line.slice(7)
    else if (line.startsWith('data: ')) data = data === '' ? line.slice(6) : `${data}\n${line.slice(6)}`
  }
  // A comment-only block (": ping") is not a frame.
  return id === null && data === '' ? null : { id, event, data }
}

export function openSse (url: string, opts: SseOptions): SseStream {
  let resolveStatus: (status: number) => void = () => {}
  const status = new Promise<number>((resolve) => { resolveStatus = resolve })
  const req = request(url, {
    method: opts.method ?? 'GET',
    // A connection of its own: a shared agent would queue a thousand long-lived streams.
    agent: false,
    headers: {
      accept: 'text/event-stream',
      ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}),
      ...opts.headers
    }
  })
  const done = new Promise<{ error: string | null }>((resolve) => {
    req.once('error', (error) => {
      resolveStatus(0)
      resolve({ error: error.message })
    })
    req.once('response', (res) => {
      resolveStatus(res.statusCode ?? 0)
      res.setEncoding('utf8')
      let buffer = ''
      res.on('data', (chunk: string) => {
        const receivedAt = wallClock()
        buffer += chunk
        let start = 0
        for (let end = buffer.indexOf('\n\n', start); end !== -1; end = buffer.indexOf('\n\n', start)) {
          const frame = parseFrame(buffer.slice(start, end))
          start = end + 2
          if (frame !== null) opts.onFrame(frame, receivedAt)
        }
        buffer = buffer.slice(start)
      })
      res.once('end', () => resolve({ error: res.statusCode === 200 ? null : `status ${res.statusCode}: ${buffer.slice(0, 200)}` }))
      res.once('error', (error) => resolve({ error: error.message }))
      res.once('close', () => resolve({ error: res.complete ? null : 'connection closed before the stream ended' }))
    })
  })
  req.end(opts.body)
  return { status, done, close: () => req.destroy() }
}
