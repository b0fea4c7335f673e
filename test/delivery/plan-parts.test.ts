import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { planParts } from '../../src/delivery/plan-parts.ts'
import { splitMessage, type TextUnit } from '../../src/delivery/split-message.ts'
import type { MessageLimits } from '../../src/platforms/adapter.ts'

const RUNS = { numRuns: 300, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: true }
const RUN_ID = 'run_01JC3Z8Y6Q4W2E5R7T9Y1U3I5O'
const LINK = `https://hooks.example.com/v1/runs/${RUN_ID}`
const MARKER = /\n\((\d+)\/(\d+)\)$/
const NOTE = /^([^]*)\n✂ ([\d,]+) more characters? \(([\d,]+) lines?\) not shown\.\nFull result: ([^\n]*)$/

function units (text: string, unit: TextUnit): number {
  return unit === 'utf16' ? text.length : [...text].length
}

function lineCount (text: string): number {
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

/** The slices the parts show (markers and the note taken off) and what the note says. */
function readParts (parts: string[]): { shown: string, note: { chars: number, lines: number, where: string } | null } {
  let note: { chars: number, lines: number, where: string } | null = null
  const bodies = parts.map((part, i) => {
    let body = part
    if (parts.length > 1) {
      const m = MARKER.exec(body)
      expect(m?.slice(1)).toEqual([String(i + 1), String(parts.length)])
      body = body.replace(MARKER, '')
    }
    if (i === parts.length - 1) {
      const m = NOTE.exec(body)
      if (m !== null) {
        note = { chars: Number(m[2]!.replaceAll(',', '')), lines: Number(m[3]!.replaceAll(',', '')), where: m[4]! }
        body = m[1]!
      }
    }
    return body
  })
  return { shown: bodies.join(''), note }
}

describe('planParts', () => {
  const line: MessageLimits = { chars: 5000, unit: 'utf16', maxMessages: 5 }

  it('is the plain split when it needs no more messages than allowed', () => {
    const text = 'word '.repeat(2500)
    expect(planParts(text, line, { link: LINK, runId: RUN_ID })).toEqual(splitMessage(text, line))
    expect(planParts('short', line, { link: null, runId: RUN_ID })).toEqual(['short'])
  })

  it('keeps to maxMessages and ends with how much more there is and the link', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `line ${i} of a long agent answer`).join('\n')
    const parts = planParts(text, line, { link: LINK, runId: RUN_ID })
    expect(parts).toHaveLength(5)
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(5000)
    expect(parts[0]!.endsWith('\n(1/5)')).toBe(true)
    const { shown, note } = readParts(parts)
    expect(text.startsWith(shown)).toBe(true)
    expect(note).toEqual({ chars: text.length - shown.length, lines: lineCount(text.slice(shown.length)), where: LINK })
    expect(parts[4]).toMatch(/\n✂ [\d,]+ more characters \([\d,]+ lines\) not shown\.\nFull result: https:\/\/hooks\.example\.com\/v1\/runs\/run_\w+\n\(5\/5\)$/)
  })

  it('names the run when there is no link', () => {
    const parts = planParts('x'.repeat(50_000), { chars: 4096, unit: 'codepoint', maxMessages: 2 }, { link: null, runId: RUN_ID })
    expect(parts).toHaveLength(2)
    expect(parts[1]).toContain(`Full result: run ${RUN_ID}`)
    expect(readParts(parts).note?.chars).toBe(50_000 - readParts(parts).shown.length)
  })

  it('with one message allowed, shows what fits and the note, without a marker', () => {
    const text = 'abc '.repeat(1000)
    const parts = planParts(text, { chars: 1600, unit: 'codepoint', maxMessages: 1 }, { link: LINK, runId: RUN_ID })
    expect(parts).toHaveLength(1)
    expect(parts[0]!.length).toBeLessThanOrEqual(1600)
    expect(parts[0]).not.toMatch(MARKER)
    const { shown, note } = readParts(parts)
    expect(shown.length).toBeGreaterThan(1000)
    expect(note?.chars).toBe(text.length - shown.length)
  })

  it('closes a code block before the note', () => {
    const text = '```python\n' + 'print("hello, world")\n'.repeat(1000) + '```'
    const parts = planParts(text, { chars: 2000, unit: 'codepoint', maxMessages: 3 }, { link: LINK, runId: RUN_ID })
    expect(parts).toHaveLength(3)
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000)
      expect((part.match(/^```/gm) ?? []).length).toBe(2)
    }
    expect(parts[1]!.startsWith('```python\nprint')).toBe(true)
    expect(parts[2]).toMatch(/print\("hello, world"\)\n```\n✂ /)
  })

  it('still fits a limit too small for text and note together', () => {
    const parts = planParts('y'.repeat(500), { chars: 40, unit: 'utf16', maxMessages: 2 }, { link: LINK, runId: RUN_ID })
    expect(parts).toHaveLength(2)
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(40)
    expect(parts[1]).toMatch(/^✂ /)
  })

  it('property: never more than maxMessages, each fits, the shown text is the start of the text and the note counts the rest exactly', () => {
    const piece = fc.oneof(
      fc.constantFrom('\n', '\n\n', ' ', '😀', '界界界', 'e\u0301', '👨‍👩‍👧', 'line\n'.repeat(40), '界'.repeat(300)),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 200, size: 'max' })
    )
    const text = fc.array(piece, { maxLength: 80, size: 'max' }).map((p) => p.join('').replace(/[`~✂]/g, '-'))
    const limits = fc.record({
      chars: fc.integer({ min: 200, max: 700 }),
      unit: fc.constantFrom<TextUnit>('utf16', 'codepoint'),
      maxMessages: fc.integer({ min: 1, max: 6 })
    })
    const link = fc.option(fc.constant(LINK), { nil: null })
    fc.assert(fc.property(text, limits, link, (t, l, lk) => {
      fc.pre(t.trim() !== '')
      const parts = planParts(t, l, { link: lk, runId: RUN_ID })
      expect(parts.length).toBeLessThanOrEqual(l.maxMessages)
      for (const part of parts) expect(units(part, l.unit)).toBeLessThanOrEqual(l.chars)
      const { shown, note } = readParts(parts)
      if (note === null) {
        expect(shown).toBe(t)
        expect(parts).toEqual(splitMessage(t, l))
        return
      }
      expect(t.startsWith(shown)).toBe(true)
      const rest = t.slice(shown.length)
      expect(rest.length).toBeGreaterThan(0)
      expect(note).toEqual({ chars: [...rest].length, lines: lineCount(rest), where: lk ?? `run ${RUN_ID} (GET /v1/runs/${RUN_ID})` })
    }), RUNS)
  })
})
