// The encoder's frames: laid one after another in slabs, written as runs, and a slab freed as soon as
// every event in it has been forgotten and no write holds it, never before. The write callbacks are
// called here by hand, as the socket calls them; stored-page-release.test.ts and the G-SSE tests
// check the same rule over real sockets.
import { describe, expect, it } from 'vitest'
import { EventEncoder } from '../../src/sse/event-encoder.ts'
import { formatEvent, type StreamEvent } from '../../src/sse/format-event.ts'

const text = (seq: number, size = 1000): StreamEvent => ({ seq, event: 'text', data: { text: `${seq}:`.padEnd(size, 'y') } })
const events = (n: number, size?: number): StreamEvent[] => Array.from({ length: n }, (_, i) => text(i + 1, size))
const detached = (bytes: Buffer): boolean => (bytes.buffer as ArrayBuffer).detached

/** Encodes all of `list` as a stream would, one chunk after another; returns the chunks and their write callbacks. */
function encodeAll (encoder: EventEncoder, list: StreamEvent[], maxBytes = 1 << 20): Array<{ bytes: Buffer, end: number, written: (error?: Error | null) => void }> {
  const chunks = []
  for (let i = 0; i < list.length;) {
    const chunk = encoder.chunk(list, i, maxBytes)
    chunks.push(chunk)
    i = chunk.end
  }
  return chunks
}

describe('EventEncoder', () => {
  it('writes events that lie one after another as one chunk per slab, byte for byte', () => {
    const encoder = new EventEncoder()
    const list = events(100)
    const chunks = encodeAll(encoder, list)
    // About 30 frames of 1 KB fit a 32 KiB slab.
    expect(chunks.length).toBeGreaterThanOrEqual(3)
    expect(chunks.length).toBeLessThanOrEqual(5)
    expect(Buffer.concat(chunks.map((c) => c.bytes)).toString()).toBe(list.map((e) => formatEvent(e)).join(''))
    // Encoded once: the same event gives the same bytes.
    expect(encoder.encode(list[0]!)).toBe(encoder.encode(list[0]!))
  })

  it('frees a full slab once all its events are forgotten and its writes are done, and not before', () => {
    const encoder = new EventEncoder()
    const list = events(100)
    const [first, second] = encodeAll(encoder, list)
    const firstEvents = list.slice(0, first!.end)

    // Written, but its events are still in memory: kept.
    first!.written()
    expect(detached(first!.bytes)).toBe(false)
    for (const e of firstEvents.slice(0, -1)) encoder.forget(e)
    expect(detached(first!.bytes)).toBe(false)
    encoder.forget(firstEvents.at(-1)!)
    expect(detached(first!.bytes)).toBe(true)

    // Forgotten, but a write still holds it: kept until that write is done.
    for (const e of list.slice(first!.end, second!.end)) encoder.forget(e)
    expect(detached(second!.bytes)).toBe(false)
    second!.written()
    expect(detached(second!.bytes)).toBe(true)
  })

  it('counts every write that holds a slab', () => {
    const encoder = new EventEncoder()
    const list = events(100)
    const [a] = encodeAll(encoder, list)
    // Two streams wrote the same frames.
    const b = encoder.chunk(list, 0, 1 << 20)
    expect(b.end).toBe(a!.end)
    for (const e of list.slice(0, a!.end)) encoder.forget(e)
    a!.written()
    expect(detached(a!.bytes)).toBe(false)
    b.written()
    expect(detached(a!.bytes)).toBe(true)
  })

  it('never frees a slab whose write failed, nor the slab still being filled', () => {
    const encoder = new EventEncoder()
    const list = events(100)
    const chunks = encodeAll(encoder, list)
    const [first] = chunks
    const last = chunks.at(-1)!
    first!.written(new Error('socket closed'))
    for (const e of list) encoder.forget(e)
    for (const c of chunks.slice(1)) c.written()
    expect(detached(first!.bytes)).toBe(false)
    // The newest slab takes the next event's frame: it is not full, so not freed.
    expect(detached(last.bytes)).toBe(false)
    for (const c of chunks.slice(1, -1)) expect(detached(c.bytes)).toBe(true)
  })

  it('encodes a forgotten event again, into new bytes, when a stream still asks for it', () => {
    const encoder = new EventEncoder()
    const list = events(100)
    const [first] = encodeAll(encoder, list)
    first!.written()
    for (const e of list.slice(0, first!.end)) encoder.forget(e)
    expect(detached(first!.bytes)).toBe(true)
    const again = encoder.chunk(list, 0, 1 << 20)
    expect(detached(again.bytes)).toBe(false)
    expect(again.bytes.toString()).toBe(list.slice(0, again.end).map((e) => formatEvent(e)).join(''))
  })

  it('gives a big frame a buffer of its own, freed once forgotten and written', () => {
    const encoder = new EventEncoder()
    const big = text(1, 20_000)
    const chunk = encoder.chunk([big], 0, 1 << 20)
    expect(chunk.bytes.buffer.byteLength).toBe(chunk.bytes.length)
    encoder.forget(big)
    expect(detached(chunk.bytes)).toBe(false)
    chunk.written()
    expect(detached(chunk.bytes)).toBe(true)
  })

  it('leaves a slab alone while any of its events is still in memory', () => {
    const encoder = new EventEncoder()
    const list = events(100)
    const chunks = encodeAll(encoder, list)
    for (const c of chunks) c.written()
    // Every event but one of the first slab's.
    for (const e of list) if (e.seq !== 5) encoder.forget(e)
    expect(detached(chunks[0]!.bytes)).toBe(false)
    expect(encoder.encode(list[4]!).toString()).toBe(formatEvent(list[4]!))
  })
})
