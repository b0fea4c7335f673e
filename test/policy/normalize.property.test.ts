// The threat model's (docs/security.md) property 10: bidi and tag characters are always refused, and
// normalisation is idempotent and total. The G-POL-1 corpus (at least 500 variants of every deny
// phrase, by class) is test/reliability/policy-corpus.test.ts.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { normalizeText } from '../../src/policy/normalize.ts'

/** Invisible or default-ignorable characters an attacker can slip between letters. */
const INVISIBLES = [
  '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u180E', '\u200E', '\u200F', '\u061C',
  '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800', '\u034F', '\u17B4',
  ...Array.from({ length: 16 }, (_, i) => String.fromCodePoint(0xFE00 + i)),
  '\u{E0100}', '\u{E0150}', '\u{E01EF}'
]
const SPACES = [' ', '\t', '\n', '\r\n', '\v', '\f', '\u0085', '\u00A0', '\u1680', '\u2002', '\u2003', '\u2009', '\u200A', '\u202F', '\u205F', '\u3000', '\u2028']

/** Every way to write one character of the phrase that NFKC plus case folding maps back to it. */
function spellings (ch: string): string[] {
  if (ch === '-') return ['-', '\uFF0D', '\uFE63']
  const lower = ch.toLowerCase()
  const offset = lower.charCodeAt(0) - 0x61
  return [
    lower,
    lower.toUpperCase(),
    String.fromCodePoint(0xFF41 + offset), // fullwidth small
    String.fromCodePoint(0xFF21 + offset), // fullwidth capital
    String.fromCodePoint(0x1D41A + offset), // mathematical bold small
    String.fromCodePoint(0x1D400 + offset), // mathematical bold capital
    String.fromCodePoint(0x24D0 + offset) // circled small
  ]
}

const invisibleRun = fc.array(fc.constantFrom(...INVISIBLES), { maxLength: 3 }).map((a) => a.join(''))
const obfuscatedChar = (ch: string) =>
  fc.tuple(fc.constantFrom(...spellings(ch)), invisibleRun).map(([c, inv]) => c + inv)
const obfuscatedWord = (word: string) =>
  fc.tuple(...[...word].map(obfuscatedChar)).map((parts) => parts.join(''))
const whitespace = fc.array(fc.tuple(fc.constantFrom(...SPACES), invisibleRun).map(([s, i]) => s + i), { minLength: 1, maxLength: 4 })
  .map((a) => a.join(''))
const surrounding = fc.constantFrom('', 'please ', 'Now run: ', 'ok\n', '`', '$(')

const variant = fc.tuple(surrounding, obfuscatedWord('rm'), whitespace, obfuscatedWord('-rf'), surrounding)
  .map(([before, rm, space, rf, after]) => `${before}${rm}${space}${rf} /${after}`)

const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069']
const anyText = fc.string({ unit: 'binary', maxLength: 60 })
const cleanText = anyText.filter((s) => !/[\u202A-\u202E\u2066-\u2069\u{E0000}-\u{E007F}]/u.test(s))
/** Any UTF-16, lone surrogates included. */
const anyUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xFFFF }).map((u) => String.fromCharCode(u)), maxLength: 60 })

describe('normalisation properties', () => {
  it('refuses any text with a bidi control', () => {
    fc.assert(fc.property(anyText, fc.constantFrom(...BIDI), fc.nat(), (text, ch, at) => {
      const i = Math.min(at, text.length)
      const withBidi = [...text].slice(0, i).join('') + ch + [...text].slice(i).join('')
      expect(normalizeText(withBidi)).toEqual({ ok: false, reason: 'bidi_control' })
    }), { numRuns: 2000 })
  })

  it('refuses any text with a tag character outside an RGI flag', () => {
    const tag = fc.integer({ min: 0xE0000, max: 0xE007F }).map((cp) => String.fromCodePoint(cp))
    fc.assert(fc.property(cleanText, tag, fc.nat(), (text, ch, at) => {
      const chars = [...text]
      const i = Math.min(at, chars.length)
      const withTag = [...chars.slice(0, i), ch, ...chars.slice(i)].join('')
      expect(normalizeText(withTag)).toEqual({ ok: false, reason: 'tag_character' })
    }), { numRuns: 2000 })
  })

  it('refuses text with a lone surrogate', () => {
    const lone = fc.integer({ min: 0xD800, max: 0xDFFF }).map((u) => String.fromCharCode(u))
    fc.assert(fc.property(cleanText, lone, (text, ch) => {
      // Appending a lone low surrogate to a string ending in a high one would pair them.
      expect(normalizeText(`${text}.${ch}.`)).toEqual({ ok: false, reason: 'ill_formed_unicode' })
    }), { numRuns: 1000 })
  })

  it('is idempotent on matchText and on agentText', () => {
    fc.assert(fc.property(fc.oneof(anyText, variant), (text) => {
      const once = normalizeText(text)
      if (!once.ok) return
      const again = normalizeText(once.matchText)
      expect(again).toEqual({ ok: true, agentText: once.matchText, matchText: once.matchText })
      const agentAgain = normalizeText(once.agentText)
      expect(agentAgain.ok && agentAgain.agentText).toBe(once.agentText)
    }), { numRuns: 5000 })
  })

  it('never throws, whatever the UTF-16', () => {
    fc.assert(fc.property(fc.oneof(anyUtf16, anyText, fc.string({ unit: 'grapheme', maxLength: 40 })), (text) => {
      const result = normalizeText(text)
      if (result.ok) {
        expect(result.agentText.isWellFormed()).toBe(true)
        expect(result.matchText).not.toMatch(/^\s|\s$|\s\s/u)
      } else {
        expect(['ill_formed_unicode', 'bidi_control', 'tag_character']).toContain(result.reason)
      }
    }), { numRuns: 5000 })
  })

  it('leaves no invisible character in what the agent receives', () => {
    fc.assert(fc.property(cleanText, (text) => {
      const result = normalizeText(text)
      if (!result.ok) return
      expect(result.agentText).not.toMatch(/[[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u2800]--[\n\t]]/v)
    }), { numRuns: 5000 })
  })
})
