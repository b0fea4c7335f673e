import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineSplitter, type SplitLine } from '../../src/runner/line-splitter.ts'
import { OutputBudget } from '../../src/runner/output-budget.ts'

function split (chunks: readonly Uint8Array[], max?: number): SplitLine[] {
  const lines: SplitLine[] = []
  const s = new LineSplitter((l) => lines.push(l), max)
  for (const c of chunks) s.push(c)
  s.end()
  return lines
}

describe('line splitter', () => {
  it('gives the same lines however the bytes are chunked', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.nat()), (text, cuts) => {
      const bytes = Buffer.from(text)
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
      const chunks = [0, ...points].map((p, i, all) => bytes.subarray(p, all[i + 1] ?? bytes.length))
      const expected = text.split('\n').map((l) => l.replace(/\r$/, ''))
      if (text.endsWith('\n')) expected.pop()
      if (text === '') expected.pop()
      const lines = split(chunks)
      expect(lines.map((l) => l.line)).toEqual(expected)
      expect(lines.reduce((n, l) => n + l.rawBytes, 0)).toBe(bytes.length)
    }))
  })

  it('keeps the head of an over-long line and counts the rest', () => {
    const lines = split([Buffer.from('x'.repeat(10)), Buffer.from('y'.repeat(10) + '\nok\n')], 8)
    expect(lines).toEqual([
      { line: 'xxxxxxxx', rawBytes: 21, dropped: 12 },
      { line: 'ok', rawBytes: 3, dropped: 0 }
    ])
  })

  it('cuts an over-long line that arrives whole in one chunk the same way, and decodes a split character once joined', () => {
    expect(split([Buffer.from('x'.repeat(20) + '\nok\r\n')], 8)).toEqual([
      { line: 'xxxxxxxx', rawBytes: 21, dropped: 12 },
      { line: 'ok', rawBytes: 4, dropped: 0 }
    ])
    const euro = Buffer.from('a€\nb\n')
    expect(split([euro.subarray(0, 2), euro.subarray(2)]).map((l) => l.line)).toEqual(['a€', 'b'])
  })

  it('holds at most the cap for a line that never ends', () => {
    let last: SplitLine | undefined
    const s = new LineSplitter((l) => { last = l }, 1024)
    const block = Buffer.alloc(64 * 1024, 'z')
    for (let i = 0; i < 160; i++) s.push(block) // 10 MiB, no newline
    expect(last).toBeUndefined()
    s.end()
    expect(last?.line.length).toBe(1024)
    expect(last?.dropped).toBe(10 * 1024 * 1024 - 1024)
  })
})

describe('output budget', () => {
  it('admits lines until one does not fit, then drops everything after it', () => {
    const b = new OutputBudget(10)
    expect([b.admit(4), b.admit(4), b.admit(4), b.admit(1)]).toEqual([true, true, false, false])
    expect(b.dropped).toBe(5)
    expect(b.finish('abc')).toEqual({ output: 'abc\n[hookgate: output truncated, 5 bytes dropped]', truncated: true })
  })

  it('leaves output alone when nothing was dropped', () => {
    const b = new OutputBudget(10)
    b.admit(10)
    expect(b.finish('0123456789')).toEqual({ output: '0123456789', truncated: false })
  })

  it('cuts an over-long output at a character boundary', () => {
    const b = new OutputBudget(4)
    const { output, truncated } = b.finish('ab€€') // 2 + 3 + 3 bytes: the cap falls inside the first €
    expect(truncated).toBe(true)
    expect(output).toBe('ab\n[hookgate: output truncated, 6 bytes dropped]')
  })
})
