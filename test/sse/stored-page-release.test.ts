// A page of stored frames is read for one lagging reader and is its own ArrayBuffer outside V8's
// heap: the stream releases it as soon as the socket has taken all of it, not when the collector
// gets to it, and never earlier. Real sockets: an HTTP server streaming with streamRun and a raw
// client that stops reading, so writes stay pending in the gateway while the test looks.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { formatEvent, type FramePage, type StreamEvent } from '../../src/sse/format-event.ts'
import { openEventStream, streamRun, type RunEventSource } from '../../src/sse/sse-stream.ts'

const PAGE_EVENTS = 16
/**
 * Pages of a long stream: 30 MB, far more than loopback's kernel buffers hold for a client that does
 * not read (15 pages here), so the writer is left waiting on one.
 */
const PAGES = 120
const TEXT = 'x'.repeat(16 * 1024)

function eventAt (seq: number, last: number): StreamEvent {
  return seq === last
    ? { seq, event: 'result', data: { status: 'succeeded' } }
    : { seq, event: 'text', data: { text: `${seq}:${TEXT}` } }
}

/** A source that answers every read with a page of frames, as the store does for a reader far behind. */
class PagedSource implements RunEventSource {
  readonly pages: Buffer[] = []
  readonly #last: number
  readonly #owned: boolean

  constructor (last: number, owned: boolean) {
    this.#last = last
    this.#owned = owned
  }

  async read (afterSeq: number): Promise<{ frames: FramePage }> {
    const lastSeq = Math.min(afterSeq + PAGE_EVENTS, this.#last)
    let text = ''
    for (let seq = afterSeq + 1; seq <= lastSeq; seq++) text += formatEvent(eventAt(seq, this.#last))
    // Owned: a buffer of its own, as node:sqlite returns a BLOB. Not owned: a view into a larger one.
    const bytes = this.#owned ? Buffer.from(text) : Buffer.concat([Buffer.from(text), Buffer.alloc(8)]).subarray(0, Buffer.byteLength(text))
    this.pages.push(bytes)
    return { frames: { bytes, lastSeq, result: lastSeq === this.#last, owned: this.#owned } }
  }

  async waitAfter (): Promise<void> {}
  lastSeq (): number { return this.#last }
  closed (): boolean { return true }
  snapshot (): object { return {} }
}

async function serveStream (source: RunEventSource): Promise<{ server: Server, done: Promise<void>, port: number }> {
  let finished!: () => void
  const done = new Promise<void>((resolve) => { finished = resolve })
  const server = createServer((req, res) => {
    openEventStream(res)
    void streamRun(res, source, 0, { heartbeatMs: 60_000, stallMs: 60_000, highWaterBytes: 64 * 1024 }).finally(finished)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(() => { server.closeAllConnections(); server.close() })
  return { server, done, port: (server.address() as AddressInfo).port }
}

/** Connects and sends the request, reading nothing yet, with a small receive buffer so the server's socket fills. */
async function pausedClient (port: number): Promise<{ socket: Socket, body: () => Promise<string> }> {
  const socket = connect({ port, host: '127.0.0.1' })
  await once(socket, 'connect')
  socket.pause()
  socket.write('GET /events HTTP/1.1\r\nhost: x\r\n\r\n')
  const chunks: Buffer[] = []
  return {
    socket,
    body: async () => {
      socket.on('data', (c: Buffer) => chunks.push(c))
      socket.resume()
      await once(socket, 'end')
      const raw = Buffer.concat(chunks).toString('utf8')
      return raw.slice(raw.indexOf('\r\n\r\n') + 4)
    }
  }
}

function detached (bytes: Buffer): boolean {
  return (bytes.buffer as ArrayBuffer).detached
}

/** Compared whole, without printing megabytes when it differs. */
function expectStream (body: string, last: number): void {
  let text = ''
  for (let seq = 1; seq <= last; seq++) text += formatEvent(eventAt(seq, last))
  if (body !== text) {
    let at = 0
    while (at < body.length && body[at] === text[at]) at++
    expect(body.slice(at, at + 80)).toBe(text.slice(at, at + 80))
  }
  expect(body.length).toBe(text.length)
}

/** Waits until the stream has read a few pages and then stopped: the writer waits on a full socket. */
async function stalled (source: PagedSource): Promise<void> {
  const deadline = Date.now() + 10_000
  while (source.pages.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, 200))
  await settle()
}

async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('stored frame pages on a stream', () => {
  it('releases each page once the socket has taken it: not while the write is pending, every one by the end, content intact', async () => {
    const LAST = PAGES * PAGE_EVENTS
    const source = new PagedSource(LAST, true)
    const { port, done } = await serveStream(source)
    const client = await pausedClient(port)

    // The client reads nothing: the kernel's buffers fill, and the page the writer waits on is
    // still the socket's to send.
    await stalled(source)
    const read = source.pages.length
    expect(read).toBeGreaterThanOrEqual(3)
    expect(read).toBeLessThan(PAGES)
    const newest = source.pages[read - 1] as Buffer
    expect(detached(newest)).toBe(false)
    expect(newest.length).toBeGreaterThan(0)
    // Pages the kernel took before it filled are gone already.
    expect(detached(source.pages[0] as Buffer)).toBe(true)

    const body = await client.body()
    await done
    await settle()
    expectStream(body, LAST)
    expect(source.pages).toHaveLength(PAGES)
    expect(source.pages.filter((p) => !detached(p))).toHaveLength(0)
  })

  it('leaves a page that shares its buffer alone', async () => {
    const LAST = 4 * PAGE_EVENTS
    const source = new PagedSource(LAST, false)
    const { port, done } = await serveStream(source)
    const client = await pausedClient(port)
    const body = await client.body()
    await done
    await settle()
    expectStream(body, LAST)
    expect(source.pages).toHaveLength(4)
    expect(source.pages.every((p) => !detached(p) && p.length > 0)).toBe(true)
  })

  it('keeps a page whose write failed because the client went away', async () => {
    const LAST = PAGES * PAGE_EVENTS
    const source = new PagedSource(LAST, true)
    const { port, done } = await serveStream(source)
    const client = await pausedClient(port)
    await stalled(source)
    client.socket.destroy()
    await done
    await settle()
    // The stream stopped reading pages, and the one left pending when the client vanished was not
    // released by a failed write: the collector takes it.
    expect(source.pages.length).toBeLessThan(PAGES)
    expect(detached(source.pages.at(-1) as Buffer)).toBe(false)
  })
})
