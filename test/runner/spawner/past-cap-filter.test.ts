// The spawner's filter for output past the cap: every byte is either relayed or counted, marked lines
// are relayed whole and in order, the last lines follow at the end, and a line cut by the cap is
// finished first, whatever the chunking.
import { describe, expect, it } from 'vitest'
import { PastCapFilter, type PastCapOptions } from '../../../src/runner/spawner/past-cap-filter.ts'

const KEEP = ['"type":"result"', '"control_request"']

/** A deterministic generator (mulberry32), so a failure names a seed that replays it. */
function random (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function feed (input: Buffer, opts: Partial<PastCapOptions>, rand: () => number): { relayed: Buffer, skipped: number, pieces: Buffer[] } {
  const filter = new PastCapFilter({ keep: KEEP, midLine: false, tailBytes: 256, lineBytes: 1024, ...opts })
  const pieces: Buffer[] = []
  let skipped = 0
  for (let at = 0; at < input.length;) {
    const size = 1 + Math.floor(rand() * 3000)
    pieces.push(...filter.push(input.subarray(at, at + size)))
    skipped += filter.takeSkipped()
    at += size
  }
  pieces.push(...filter.end())
  skipped += filter.takeSkipped()
  return { relayed: Buffer.concat(pieces), skipped, pieces }
}

describe('PastCapFilter', () => {
  it('relays or counts every byte, relays marked lines in order and ends with the last lines (200 random inputs)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = random(seed)
      const lines: string[] = []
      const count = 1 + Math.floor(rand() * 400)
      for (let i = 0; i < count; i++) {
        const r = rand()
        const body = r < 0.05 ? `{"type":"result","n":${i}}` : r < 0.08 ? `{"type":"control_request","n":${i}}` : r < 0.1 ? 'x'.repeat(1500) : `line ${i} ${'y'.repeat(Math.floor(rand() * 120))}`
        lines.push(body)
      }
      const input = Buffer.from(lines.map((l) => `${l}\n`).join(''))
      const { relayed, skipped } = feed(input, {}, rand)
      expect(relayed.length + skipped, `seed ${seed}: bytes relayed + skipped`).toBe(input.length)

      const got = relayed.toString().split('\n')
      expect(got.pop(), `seed ${seed}: relayed text ends with a newline`).toBe('')
      const marked = lines.map((l, i) => ({ l, i })).filter(({ l }) => KEEP.some((k) => l.includes(k)))
      expect(got.slice(0, marked.length), `seed ${seed}: the marked lines, in order`).toEqual(marked.map(({ l }) => l))
      const tail = got.slice(marked.length)
      const after = lines.slice((marked.at(-1)?.i ?? -1) + 1)
      // The tail is the end of what followed the last marked line: at most 256 bytes, with the last line.
      expect(after.slice(after.length - tail.length), `seed ${seed}: the tail`).toEqual(tail)
      expect(Buffer.byteLength(tail.map((l) => `${l}\n`).join('')), `seed ${seed}: tail size`).toBeLessThanOrEqual(256)
      if (after.length > 0 && Buffer.byteLength(after.at(-1) as string) < 256) expect(tail.at(-1), `seed ${seed}: last line`).toBe(after.at(-1))
    }
  })

  it('finishes the line the cap cut through before filtering', () => {
    const filter = new PastCapFilter({ keep: KEEP, midLine: true, tailBytes: 0, lineBytes: 1024 })
    const out = [...filter.push(Buffer.from('rest of a line\nnext line\n{"type":"result"}\nmore\n')), ...filter.end()]
    expect(Buffer.concat(out).toString()).toBe('rest of a line\n{"type":"result"}\n')
    expect(filter.takeSkipped()).toBe('next line\nmore\n'.length)
  })

  it('relays at most lineBytes of the cut line, then its newline', () => {
    const filter = new PastCapFilter({ keep: [], midLine: true, tailBytes: 0, lineBytes: 10 })
    const out = [...filter.push(Buffer.from('a'.repeat(25))), ...filter.push(Buffer.from('b'.repeat(5) + '\nz\n')), ...filter.end()]
    expect(Buffer.concat(out).toString()).toBe('a'.repeat(10) + '\n')
    expect(filter.takeSkipped()).toBe(15 + 5 + 2)
  })

  it('skips a marked line longer than lineBytes whole (no parser could read its head)', () => {
    const long = `{"type":"result","x":"${'x'.repeat(5000)}"}`
    const { relayed, skipped } = feed(Buffer.from(`${long}\nshort\n`), { tailBytes: 100, lineBytes: 1024 }, random(7))
    expect(relayed.toString()).toBe('short\n')
    expect(skipped).toBe(long.length + 1)
  })

  it('costs a count, not a relay, for a flood without newlines', () => {
    const filter = new PastCapFilter({ keep: KEEP, midLine: false, tailBytes: 8192, lineBytes: 1 << 20 })
    const block = Buffer.alloc(64 * 1024, 'n')
    let relayed = 0
    for (let i = 0; i < 64; i++) relayed += filter.push(block).reduce((n, b) => n + b.length, 0)
    expect(relayed).toBe(0)
    // Past 1 MiB the line is skipped whole; nothing of it waits to be relayed at the end.
    expect(filter.end()).toEqual([])
    expect(filter.takeSkipped()).toBe(64 * 64 * 1024)
  })

  it('keeps at most about tailBytes of an endless flood of short lines in memory', () => {
    const filter = new PastCapFilter({ keep: KEEP, midLine: false, tailBytes: 8192, lineBytes: 1 << 20 })
    const block = Buffer.from('y'.repeat(99) + '\n').toString().repeat(655)
    for (let i = 0; i < 1000; i++) filter.push(Buffer.from(block))
    const tail = filter.end()
    expect(Buffer.concat(tail).length).toBeLessThanOrEqual(8192)
    expect(Buffer.concat(tail).length).toBeGreaterThan(8000)
  })
})
