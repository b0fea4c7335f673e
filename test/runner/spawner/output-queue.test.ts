// The gateway's side of a process's output: handed over in order, in small pieces, acknowledged in
// steps, with turns of the event loop in between however much has piled up.
import { describe, expect, it } from 'vitest'
import { OutputQueue } from '../../../src/runner/spawner/output-queue.ts'
import type { OutputChunk } from '../../../src/runner/launcher.ts'

const busy = (ms: number): void => {
  const until = performance.now() + ms
  while (performance.now() < until) { /* a consumer that takes its time */ }
}

function queue (): { q: OutputQueue, acks: number[] } {
  const acks: number[] = []
  const q = new OutputQueue({ ack: (n) => acks.push(n), ackStep: 64 * 1024, onDone: () => {} })
  return { q, acks }
}

describe('OutputQueue', () => {
  it('hands a 64 KiB read over in pieces of at most 8 KiB, in order, and acknowledges every byte', async () => {
    const { q, acks } = queue()
    const data = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 251))
    q.push({ stream: 'stdout', chunk: data })
    q.skip('stdout', 1000)
    q.end('stdout')
    q.end('stderr')
    const got: OutputChunk[] = []
    for await (const c of q) got.push(c)
    expect(got.slice(0, 8).every((c) => c.chunk.length === 8 * 1024)).toBe(true)
    expect(Buffer.concat(got.map((c) => c.chunk))).toEqual(data)
    expect(got.at(-1)).toEqual({ stream: 'stdout', chunk: new Uint8Array(0), skipped: 1000 })
    expect(acks.reduce((a, b) => a + b, 0)).toBe(64 * 1024)
    expect(acks.every((n) => n > 0)).toBe(true)
  })

  it('lets the event loop run while a slow consumer works through a backlog', async () => {
    const { q } = queue()
    for (let i = 0; i < 16; i++) q.push({ stream: 'stderr', chunk: Buffer.alloc(64 * 1024, 'e') })
    q.end('stdout')
    q.end('stderr')
    let pieces = 0
    let piecesWhenTimerRan = -1
    setImmediate(() => { piecesWhenTimerRan = pieces })
    for await (const c of q) {
      pieces += 1
      busy(c.chunk.length / 8192) // 1 ms per 8 KiB piece: 128 ms for the backlog
    }
    expect(pieces).toBe(128)
    // Without turns the callback would run only after the last piece.
    expect(piecesWhenTimerRan).toBeGreaterThan(0)
    expect(piecesWhenTimerRan).toBeLessThanOrEqual(4)
  })
})
