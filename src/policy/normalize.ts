// The normalisation pipeline of the threat model (docs/security.md) Two strings come out: `agentText`, exactly what
// the agent receives, and `matchText`, what patterns run against. Deriving both from one pass means
// the text that is checked is the text that runs. Normalisation defeats encoding tricks (case,
// fullwidth, invisible characters, spacing); it does nothing against paraphrase, which is why the
// tool policy, not this, is the boundary.
//
// Decisions:
// - Embedding, override and isolate controls (U+202A–202E, U+2066–2069) are refused: they reorder
//   what a human sees, so a reviewer and the agent would read different text (Trojan Source).
// - The implicit marks LRM, RLM and ALM (U+200E, U+200F, U+061C) are stripped, not refused: phone
//   keyboards insert them into ordinary Arabic and Hebrew messages and they cannot reorder runs of
//   letters, only nudge neutral characters.
// - Tag characters (U+E0000–E007F) are refused, except inside the three RGI subdivision flags
//   (England, Scotland, Wales), which are kept verbatim. Tags are how "ASCII smuggling" hides text
//   a model can read and a human cannot; a general "well-formed tag sequence" would still carry
//   arbitrary lower-case payloads, the three fixed sequences carry none.
// - Everything Unicode calls default-ignorable is stripped along with Cc, Cf, Co and Cn (except
//   \n and \t); that covers the Hangul fillers, the combining grapheme joiner and all variation
//   selectors the brief lists, plus the Khmer inherent vowels and Mongolian selectors it doesn't.
//   U+2800 (Braille blank) is not default-ignorable but renders as nothing, so it goes too.
//   A side effect: emoji ZWJ sequences fall apart into their component emoji, which keeps their meaning.
// - Line-break controls become `\n` before the strip (CRLF, lone CR, VT, FF, NEL): stripping them
//   would glue words together (`the\frepo` → `therepo`) and hide them from word-based patterns.
// - Case folding is full folding (`ß` → `ss`), see case-fold.ts.
import { foldCase } from './case-fold.ts'

export type NormalizeFailure = 'ill_formed_unicode' | 'bidi_control' | 'tag_character'

export type NormalizedText =
  | { ok: true, agentText: string, matchText: string }
  | { ok: false, reason: NormalizeFailure }

const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u
const TAG_CHARACTER = /[\u{E0000}-\u{E007F}]/u
// 🏴 + tag letters "gbeng" | "gbsct" | "gbwls" + CANCEL TAG: the only RGI emoji tag sequences.
const RGI_TAG_SEQUENCE_SOURCE = '\\u{1F3F4}\\u{E0067}\\u{E0062}(?:\\u{E0065}\\u{E006E}\\u{E0067}|\\u{E0073}\\u{E0063}\\u{E0074}|\\u{E0077}\\u{E006C}\\u{E0073})\\u{E007F}'
const RGI_TAG_SEQUENCE = new RegExp(RGI_TAG_SEQUENCE_SOURCE, 'gu')
// Either a flag to keep (group 1) or one invisible character to drop.
const INVISIBLE = new RegExp(
  `(${RGI_TAG_SEQUENCE_SOURCE})|[[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cn}\\p{Default_Ignorable_Code_Point}\\u2800]--[\\n\\t]]`,
  'gv'
)
const LINE_BREAK_CONTROL = /\r\n?|[\v\f\u0085]/g
const WHITESPACE_RUN = /\s+/gu

/** Runs the whole pipeline; never throws, whatever the input. */
export function normalizeText (text: string): NormalizedText {
  if (!text.isWellFormed()) return { ok: false, reason: 'ill_formed_unicode' }
  const nfkc = text.normalize('NFKC')
  if (BIDI_CONTROL.test(nfkc)) return { ok: false, reason: 'bidi_control' }
  if (TAG_CHARACTER.test(nfkc.replace(RGI_TAG_SEQUENCE, ''))) return { ok: false, reason: 'tag_character' }
  // Removing a character can bring a base letter and a combining mark together, so compose again.
  const agentText = stripInvisible(nfkc.replace(LINE_BREAK_CONTROL, '\n')).normalize('NFKC')
  return { ok: true, agentText, matchText: toMatchText(agentText) }
}

/**
 * The matching form of text that already went through `normalizeText` (an `agentText` or a slice of
 * one): case-folded, recomposed, every whitespace run one space, trimmed.
 */
export function toMatchText (agentText: string): string {
  return foldCase(agentText).normalize('NFKC').replace(WHITESPACE_RUN, ' ').trim()
}

function stripInvisible (text: string): string {
  return text.replace(INVISIBLE, (_match, flag: string | undefined) => flag ?? '')
}
