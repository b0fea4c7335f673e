// The literal search over long texts, done in steps: the same matches as one scan of the whole text
// wherever a literal falls against the edges of the steps (across an edge, wrapped by a line break
// across it, the longer of two literals starting at the same place), with the event loop let in
// between steps.
import { describe, expect, it } from 'vitest'
import { LiteralSearch } from '../../src/secrets/literal-search.ts'
import { REDACTED, SecretScrubber } from '../../src/secrets/secret-scrubber.ts'

const STEP = 128 * 1024
const SHORT = 'tok-0123456789'
const LONG = 'tok-0123456789-abcdefghij'
const search = new LiteralSearch([SHORT, LONG])

/** Filler of 99 characters and a line break per line, `n` characters long. */
function filler (n: number): string {
  return ('y'.repeat(99) + '\n').repeat(Math.ceil(n / 100)).slice(0, n)
}

/**
 * A text with `pieces` placed at the given offsets of the search, which skips line breaks (so an
 * offset counts the characters before it that are not line breaks; a piece may contain some), and
 * what the redacted text must be when each piece marked `literal` is one literal: the mark followed
 * by the line breaks it contained. Lines of filler follow the last piece.
 */
function build (placements: Array<{ at: number, piece: string, literal: boolean }>, length: number): { text: string, expected: string } {
  let text = ''
  let expected = ''
  let at = 0
  for (const { at: where, piece, literal } of placements) {
    const gap = 'y'.repeat(where - at)
    text += gap + piece
    expected += gap + (literal ? REDACTED + piece.replace(/[^\r\n]+/g, '') : piece)
    at = where + piece.replace(/[\r\n]+/g, '').length
  }
  const rest = filler(Math.max(0, length - text.length))
  return { text: text + rest, expected: expected + rest }
}

describe('LiteralSearch in steps', () => {
  const cases: Array<[string, Array<{ at: number, piece: string, literal: boolean }>]> = [
    ['a literal across the first step\'s edge', [{ at: STEP - 5, piece: LONG, literal: true }]],
    ['a literal ending exactly at an edge, and one starting exactly at the next', [{ at: STEP - SHORT.length, piece: SHORT, literal: true }, { at: 2 * STEP, piece: SHORT, literal: true }]],
    ['a literal wrapped by a line break that falls on the edge', [{ at: STEP - 8, piece: `${LONG.slice(0, 8)}\n${LONG.slice(8)}`, literal: true }]],
    ['a literal wrapped by CR LF across the edge', [{ at: STEP - 4, piece: `${SHORT.slice(0, 3)}\r\n${SHORT.slice(3)}`, literal: true }]],
    ['the longer literal where both start just before the edge', [{ at: STEP - 2, piece: LONG, literal: true }]],
    ['the shorter literal where the longer is cut short past the edge', [{ at: STEP - 4, piece: `${SHORT}-abc`, literal: false }]],
    ['literals back to back over an edge', [{ at: STEP - 20, piece: SHORT + LONG + SHORT, literal: false }]],
    ['many literals in every step', Array.from({ length: 40 }, (_, i) => ({ at: i * 30_011 + 7, piece: i % 2 === 0 ? SHORT : LONG, literal: true }))]
  ]

  for (const [name, placements] of cases) {
    it(`finds ${name} exactly as one scan would`, async () => {
      const { text, expected: plain } = build(placements, 3 * STEP + 12_345)
      // "literal: false" placements are made of literals whose matches the test states directly.
      const expected = name.includes('cut short')
        ? plain.replace(`${SHORT}-abc`, `${REDACTED}-abc`)
        : name.includes('back to back') ? plain.replace(SHORT + LONG + SHORT, REDACTED.repeat(3)) : plain
      let pauses = 0
      const stepped = await search.redactInSteps(text, REDACTED, async () => { pauses++ })
      expect(stepped.length).toBe(expected.length)
      expect(stepped === expected).toBe(true)
      expect(search.redact(text, REDACTED) === expected).toBe(true)
      // A step per 128 Ki characters, a pause between steps.
      expect(pauses).toBe(Math.ceil(text.length / STEP) - 1)
    })
  }

  it('never matches inside a match that crosses an edge, as one scan never overlaps matches', async () => {
    // The tail of LONG is a literal too: after LONG across the edge, the next step scans on from its end.
    const overlapping = new LiteralSearch([SHORT, LONG, LONG.slice(10)])
    const { text, expected } = build([{ at: STEP - 5, piece: LONG, literal: true }], 2 * STEP)
    expect(await overlapping.redactInSteps(text, REDACTED, async () => {}) === expected).toBe(true)
    expect(overlapping.redact(text, REDACTED) === expected).toBe(true)
  })

  it('answers a text without any literal unchanged, and a short text without pausing', async () => {
    const long = filler(3 * STEP)
    expect(await search.redactInSteps(long, REDACTED, async () => {})).toBe(long)
    let pauses = 0
    expect(await search.redactInSteps(`x ${SHORT}\ny`, REDACTED, async () => { pauses++ })).toBe(`x ${REDACTED}\ny`)
    expect(pauses).toBe(0)
  })

  it('lets the event loop turn between steps: a timer due meanwhile fires before the search ends', async () => {
    const { text } = build([{ at: 5 * STEP, piece: SHORT, literal: true }], 40 * STEP)
    let fired = false
    const timer = setTimeout(() => { fired = true }, 0)
    let firedBeforeEnd = false
    await search.redactInSteps(text, REDACTED, async () => {
      await new Promise((resolve) => setImmediate(resolve))
      firedBeforeEnd ||= fired
    })
    clearTimeout(timer)
    expect(firedBeforeEnd).toBe(true)
  })

  it('scrubs a cut answer in steps as scrubCutEnd does at once, the secret\'s beginning at the very end too', async () => {
    const secret = 'sk-live-Qm9vcGJlZXAtMTIzNDU2Nzg5MA'
    const scrubber = new SecretScrubber([secret])
    const { text } = build([{ at: STEP - 10, piece: secret, literal: true }], 2 * STEP)
    const cut = `${text}${secret.slice(0, 12)}\n`
    const stepped = await scrubber.scrubCutEndInSteps(cut, async () => {})
    expect(stepped === scrubber.scrubCutEnd(cut)).toBe(true)
    expect(stepped.endsWith(`${REDACTED}\n`)).toBe(true)
    expect(stepped).not.toContain(secret)
  })
})
