import { describe, expect, it } from 'vitest'
import { normalizeText, toMatchText } from '../../src/policy/normalize.ts'

const ENGLAND = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'
const SCOTLAND = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}'
const WALES = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}'

function ok (text: string): { agentText: string, matchText: string } {
  const result = normalizeText(text)
  if (!result.ok) throw new Error(`refused: ${result.reason}`)
  return result
}

describe('normalizeText: the the threat model (docs/security.md) table', () => {
  it.each([
    ['plain', 'delete the repo'],
    ['case and whitespace', 'Please DELETE   the\tREPO'],
    ['fullwidth', 'ｄｅｌｅｔｅ the repo'],
    ['zero-width space', 'del\u200Bete the repo'],
    ['soft hyphen', 'del\u00ADete the repo'],
    ['Hangul filler U+3164 (Lo, not Cf)', 'del\u3164ete the repo'],
    ['halfwidth Hangul filler U+FFA0', 'del\uFFA0ete the repo'],
    ['choseong filler U+115F', 'del\u115Fete the repo'],
    ['jungseong filler U+1160', 'del\u1160ete the repo'],
    ['Braille blank U+2800', 'del\u2800ete the repo'],
    ['combining grapheme joiner', 'del\u034Fete the repo'],
    ['variation selector 16', 'del\uFE0Fete the repo'],
    ['variation selector supplement', 'del\u{E0100}ete the repo'],
    ['word joiner', 'del\u2060ete the repo'],
    ['BOM', '\uFEFFdelete the repo'],
    ['Mongolian vowel separator', 'del\u180Eete the repo'],
    ['math bold letters', '𝐝𝐞𝐥𝐞𝐭𝐞 the repo'],
    ['circled letters', 'ⓓⓔⓛⓔⓣⓔ the repo'],
    ['NBSP and ideographic space', 'delete\u00A0the\u3000repo'],
    ['CRLF and form feed', 'delete\r\nthe\frepo']
  ])('%s is caught by /\\bdelete\\s+the\\s+repo\\b/', (_name, text) => {
    expect(ok(text).matchText).toMatch(/\bdelete\s+the\s+repo\b/)
  })

  it('does not pretend to catch homoglyphs or paraphrase', () => {
    expect(ok('d\u0435lete the repo').matchText).not.toMatch(/delete/) // Cyrillic е
    expect(ok('remove the repository').matchText).not.toMatch(/delete/)
  })
})

describe('normalizeText: refusals', () => {
  it.each([
    ['LRE', '\u202A'], ['RLE', '\u202B'], ['PDF', '\u202C'], ['LRO', '\u202D'], ['RLO', '\u202E'],
    ['LRI', '\u2066'], ['RLI', '\u2067'], ['FSI', '\u2068'], ['PDI', '\u2069']
  ])('refuses the bidi control %s', (_name, ch) => {
    expect(normalizeText(`ls ${ch}fdsa`)).toEqual({ ok: false, reason: 'bidi_control' })
  })

  it.each([
    ['tag letter', 'hi \u{E0041}\u{E0042}'],
    ['LANGUAGE TAG', '\u{E0001}en'],
    ['cancel tag alone', 'x\u{E007F}'],
    ['tags after a different base', '\u{1F600}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'],
    ['unknown subdivision', '\u{1F3F4}\u{E0067}\u{E0062}\u{E0078}\u{E0078}\u{E0078}\u{E007F}'],
    ['flag without cancel tag', '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}'],
    ['payload after a valid flag', `${ENGLAND}\u{E0069}\u{E0067}\u{E006E}`]
  ])('refuses tag characters: %s', (_name, text) => {
    expect(normalizeText(text)).toEqual({ ok: false, reason: 'tag_character' })
  })

  it.each(['\uD800', 'a\uDC00b', '\uDBFF', 'x\uDC00\uD800'])('refuses the ill-formed %j', (text) => {
    expect(normalizeText(text)).toEqual({ ok: false, reason: 'ill_formed_unicode' })
  })
})

describe('normalizeText: what it keeps and how', () => {
  it('keeps the three RGI subdivision flags verbatim', () => {
    for (const flag of [ENGLAND, SCOTLAND, WALES]) {
      expect(ok(`go ${flag}!`).agentText).toBe(`go ${flag}!`)
    }
  })

  it('strips the implicit direction marks LRM, RLM and ALM instead of refusing', () => {
    expect(ok('\u200Fשלום\u200E abc\u061C').agentText).toBe('שלום abc')
  })

  it('keeps newlines and tabs for the agent, collapses them for matching', () => {
    expect(normalizeText('  line 1\r\n\tline 2\rline 3\fline 4  ')).toEqual({ ok: true, agentText: '  line 1\n\tline 2\nline 3\nline 4  ', matchText: 'line 1 line 2 line 3 line 4' })
  })

  it('keeps shell metacharacters verbatim: they are data for the agent', () => {
    const text = 'explain $(rm -x /); `id` && a|b > c $HOME \'q\' "d" \\n'
    expect(ok(text).agentText).toBe(text)
  })

  it('recomposes a mark that stripping brought next to its base', () => {
    expect(ok('e\u200B\u0301').agentText).toBe('é')
  })

  it('strips private use and unassigned code points', () => {
    expect(ok('a\uE000b\u{10FFFD}c\uFFFFd').agentText).toBe('abcd')
  })

  it('folds case fully', () => {
    expect(ok('STRASSE Straße ẞ ΣΊΣΥΦΟΣ').matchText).toBe('strasse strasse ss σίσυφοσ')
  })

  it('toMatchText folds and collapses an agentText slice', () => {
    expect(toMatchText('  Deploy\n\tPRODUCTION ')).toBe('deploy production')
  })
})
