import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { splitMessage, splitMessageParts, type SplitPart, type TextUnit } from '../../src/delivery/split-message.ts'

const RUNS = { numRuns: 300, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: true }
const MARKER = /\n\(\d+\/\d+\)$/

/** Length as the platform counts it, computed independently of the code under test. */
function units (text: string, unit: TextUnit): number {
  return unit === 'utf16' ? text.length : [...text].length
}

function graphemeBoundaries (text: string): Set<number> {
  const set = new Set<number>([text.length])
  for (const s of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)) set.add(s.index)
  return set
}

/**
 * The test's own reading of code fences: the block open at `at`, counting only whole lines that end
 * at or before it. Returns the line to reopen it with and the fence that closes it.
 */
function fenceOpenAt (text: string, at: number): { reopen: string, close: string } | null {
  let open: { reopen: string, close: string, char: string, length: number } | null = null
  let start = 0
  while (start < text.length) {
    const nl = text.indexOf('\n', start)
    const end = nl === -1 ? text.length : nl + 1
    if (end > at) break
    const line = text.slice(start, nl === -1 ? text.length : nl).replace(/\r$/, '')
    if (open === null) {
      const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line)
      if (m !== null && !(m[1]![0] === '`' && m[2]!.includes('`'))) {
        open = { reopen: m[1]! + m[2]!.trim(), close: m[1]!, char: m[1]![0]!, length: m[1]!.length }
      }
    } else {
      const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line)
      if (m !== null && m[1]![0] === open.char && m[1]!.length >= open.length) open = null
    }
    start = end
  }
  return open === null ? null : { reopen: open.reopen, close: open.close }
}

/** What every part must be: its slice, verbatim, with only the documented decoration around it. */
function expectDecorated (text: string, parts: SplitPart[]): void {
  expect(parts[0]!.start).toBe(0)
  expect(parts.at(-1)!.end).toBe(text.length)
  parts.forEach((part, i) => {
    if (i > 0) expect(part.start).toBe(parts[i - 1]!.end)
    const body = text.slice(part.start, part.end)
    expect(body.length).toBeGreaterThan(0)
    const reopen = fenceOpenAt(text, part.start)
    const close = part.end < text.length ? fenceOpenAt(text, part.end) : null
    let expected = (reopen === null ? '' : reopen.reopen + '\n') + body
    if (close !== null) expected += (body.endsWith('\n') ? '' : '\n') + close.close
    if (parts.length > 1) expected += `\n(${i + 1}/${parts.length})`
    expect(part.text).toBe(expected)
  })
}

const fenceLine = fc.constantFrom('```', '```ts', '~~~', '````', '``` python', '```\t').map((f) => `\n${f}\n`)
const words = fc.array(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 9 }).map((w) => w.replace(/[\s`~]/g, 'x')), { minLength: 1, maxLength: 30 }).map((w) => w.join(' '))
const piece = fc.oneof(
  fc.constantFrom('\n', '\n\n', ' ', '\t', '\r\n'),
  words,
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.constantFrom('漢字かな交じり文です。', '👨‍👩‍👧‍👦', '🇯🇵🇫🇷', 'e\u0301', '👍🏽', '😀😀😀', 'Ä\u0308\u0308', ' \u0301', ' \u200d🙂', ' 🏽', 'ﾃｽﾄ', 'x'.repeat(150), '界'.repeat(90), '🙂'.repeat(70)),
  fenceLine
)
const anyText = fc.array(piece, { maxLength: 60, size: 'max' }).map((p) => p.join(''))
const unit = fc.constantFrom<TextUnit>('utf16', 'codepoint')
/** Limits at which a fence repair always fits: the size of any real platform's limit keeps them so. */
const chars = fc.integer({ min: 80, max: 600 })

describe('splitMessage: examples', () => {
  it('keeps a text that fits as one unmarked part', () => {
    expect(splitMessage('hello\nworld', { chars: 11, unit: 'utf16' })).toEqual(['hello\nworld'])
  })

  it('answers a blank text with the caller\'s placeholder', () => {
    expect(splitMessage('', { chars: 100, unit: 'utf16', placeholder: '(no output)' })).toEqual(['(no output)'])
    expect(splitMessage(' \n\t ', { chars: 100, unit: 'utf16', placeholder: '(no output)' })).toEqual(['(no output)'])
    expect(splitMessage('', { chars: 100, unit: 'utf16' })).toHaveLength(1)
  })

  it('cuts after the last line that fits, counting the marker inside the limit', () => {
    const text = 'aaaa aaaa\nbbbb bbbb\ncccc cccc\ndddd'
    // "aaaa aaaa\nbbbb bbbb\n" is 20 units and its marker "\n(1/2)" 6 more: 26 fits, 36 would not.
    expect(splitMessage(text, { chars: 26, unit: 'utf16' })).toEqual(['aaaa aaaa\nbbbb bbbb\n\n(1/2)', 'cccc cccc\ndddd\n(2/2)'])
  })

  it('cuts a line longer than the limit at its last space, else hard', () => {
    expect(splitMessage('one two three four five six', { chars: 20, unit: 'utf16' })).toEqual(['one two three \n(1/2)', 'four five six\n(2/2)'])
    const hard = splitMessage('x'.repeat(30), { chars: 20, unit: 'utf16' })
    expect(hard).toEqual(['x'.repeat(14) + '\n(1/3)', 'x'.repeat(14) + '\n(2/3)', 'xx\n(3/3)'])
  })

  it('counts UTF-16 code units for LINE and code points for the others', () => {
    const text = '😀'.repeat(30)
    const line = splitMessage(text, { chars: 26, unit: 'utf16' })
    const other = splitMessage(text, { chars: 26, unit: 'codepoint' })
    // 20 units of text per LINE message (10 emoji), 20 emoji per code-point message.
    expect(line).toEqual(['😀'.repeat(10) + '\n(1/3)', '😀'.repeat(10) + '\n(2/3)', '😀'.repeat(10) + '\n(3/3)'])
    expect(other).toEqual(['😀'.repeat(20) + '\n(1/2)', '😀'.repeat(10) + '\n(2/2)'])
  })

  it('never cuts a surrogate pair, a ZWJ sequence or a combining accent, even at an odd limit', () => {
    for (const [grapheme, chars] of [['😀', 23], ['👨‍👩‍👧', 37], ['e\u0301', 25]] as const) {
      const text = grapheme.repeat(40)
      for (const part of splitMessage(text, { chars, unit: 'utf16' })) {
        const body = part.replace(MARKER, '')
        expect(body.length).toBeGreaterThan(0)
        expect(body).toBe(grapheme.repeat(body.length / grapheme.length))
        expect(part.length).toBeLessThanOrEqual(chars)
      }
    }
  })

  it('widens the marker when there are ten parts or more, still inside the limit', () => {
    const text = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(2, '0')}`).join('\n')
    const parts = splitMessage(text, { chars: 24, unit: 'codepoint' })
    expect(parts.length).toBeGreaterThanOrEqual(10)
    expect(parts[0]!.endsWith(`\n(1/${parts.length})`)).toBe(true)
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(24)
    expect(parts.map((p) => p.replace(MARKER, '')).join('')).toBe(text)
  })

  it('closes a code block at the end of a part and reopens it, with its language, in the next', () => {
    const code = Array.from({ length: 8 }, (_, i) => `let v${i} = ${i}`).join('\n')
    const text = `Here:\n\`\`\`ts\n${code}\n\`\`\`\nDone.`
    const parts = splitMessage(text, { chars: 60, unit: 'utf16' })
    expect(parts.length).toBeGreaterThan(1)
    expect(parts[0]).toMatch(/^Here:\n```ts\nlet v0 = 0\n[^]*\n```\n\(1\/\d\)$/)
    expect(parts[1]).toMatch(/^```ts\nlet v\d = \d\n/)
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(60)
      // Every part renders on its own: its fences pair up.
      expect((part.match(/^```/gm) ?? []).length % 2).toBe(0)
    }
  })

  it('does not leave an opening fence alone at the bottom of a part', () => {
    // 75 leaves room for the a's, the fence line and its repair ("```\n```"), but not for a line of code.
    const text = 'a'.repeat(60) + '\n```\n' + 'code\n'.repeat(30) + '```'
    const parts = splitMessage(text, { chars: 75, unit: 'utf16' })
    expect(parts[0]).toBe('a'.repeat(60) + `\n\n(1/${parts.length})`)
    expect(parts[1]!.startsWith('```\ncode\n')).toBe(true)
    expect(parts.some((p) => p.includes('```\n```'))).toBe(false)
  })
})

describe('splitMessage: properties', () => {
  it('every part fits, and the parts carry the whole text verbatim with only markers and fence repairs added', () => {
    fc.assert(fc.property(anyText, chars, unit, (text, limit, u) => {
      fc.pre(text.trim() !== '')
      const parts = splitMessageParts(text, { chars: limit, unit: u })
      for (const part of parts) expect(units(part.text, u)).toBeLessThanOrEqual(limit)
      expect(splitMessage(text, { chars: limit, unit: u })).toEqual(parts.map((p) => p.text))
      expectDecorated(text, parts)
    }), RUNS)
  })

  it('never cuts inside a surrogate pair or a grapheme cluster', () => {
    fc.assert(fc.property(anyText, chars, unit, (text, limit, u) => {
      fc.pre(text.trim() !== '')
      const boundaries = graphemeBoundaries(text)
      for (const part of splitMessageParts(text, { chars: limit, unit: u })) {
        expect(boundaries.has(part.end)).toBe(true)
        const at = part.end
        const splitsPair = /[\ud800-\udbff]/.test(text[at - 1] ?? '') && /[\udc00-\udfff]/.test(text[at] ?? '')
        expect(splitsPair).toBe(false)
      }
    }), RUNS)
  })

  it('joining the parts without their markers gives back a text without code blocks', () => {
    const plain = fc.array(fc.oneof(fc.constantFrom('\n', '\n\n', ' ', '😀', '界界', 'e\u0301'), words, fc.string({ unit: 'grapheme', maxLength: 30 })), { maxLength: 80, size: 'max' })
      .map((p) => p.join('').replace(/[`~]/g, '-'))
    fc.assert(fc.property(plain, fc.integer({ min: 20, max: 300 }), unit, (text, limit, u) => {
      fc.pre(text.trim() !== '')
      const parts = splitMessage(text, { chars: limit, unit: u })
      for (const part of parts) expect(units(part, u)).toBeLessThanOrEqual(limit)
      if (parts.length === 1) expect(parts[0]).toBe(text)
      else expect(parts.map((p, i) => { expect(p.endsWith(`\n(${i + 1}/${parts.length})`)).toBe(true); return p.replace(MARKER, '') }).join('')).toBe(text)
    }), RUNS)
  })

  it('uses as few parts as a line-by-line cut would: no part could have taken the next line too', () => {
    const lines = fc.array(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }).map((l) => l.replace(/[\s`~]/g, 'x')), { minLength: 1, maxLength: 80 })
    fc.assert(fc.property(lines, fc.integer({ min: 40, max: 200 }), (ls, limit) => {
      const text = ls.join('\n')
      const parts = splitMessageParts(text, { chars: limit, unit: 'utf16' })
      parts.slice(0, -1).forEach((part) => {
        // A cut is at a line end, and adding the following line would have overflowed.
        expect(text[part.end - 1]).toBe('\n')
        const nextLineEnd = text.indexOf('\n', part.end)
        const longer = text.slice(part.start, nextLineEnd === -1 ? text.length : nextLineEnd + 1)
        expect(longer.length + `\n(${parts.length}/${parts.length})`.length).toBeGreaterThan(limit)
      })
    }), RUNS)
  })
})
