// Branch and workflow names are chosen by whoever pushed, and they land in a prompt an agent with tools
// will read. They cannot be made harmless, only legible: everything invisible goes (so what an operator
// reads in the audit or the run is what the agent read), line breaks go (so a value cannot pose as a new
// paragraph of instructions), and the length is capped (so it cannot drown the template).

const MAX_CODE_POINTS = 200
// Bounds the work on a hostile value (the body may be 1 MiB of one field) before it is scanned at all.
const MAX_INPUT_UNITS = 16 * 1024

// Format characters (bidi controls, zero-width characters, tag characters used to smuggle invisible
// ASCII, BOM), lone surrogates, private-use characters and variation selectors, which can carry data a
// reader does not see.
const INVISIBLE = /[\p{Cf}\p{Cs}\p{Co}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu
// Line breaks, tabs and every other control character become one space; `\s` covers Unicode spaces,
// U+2028 and U+2029.
const SPACING = /[\s\p{Cc}]+/gu

/** A free-text value made fit for a prompt; '' for anything that is not a string. */
export function templateValue (value: unknown): string {
  if (typeof value !== 'string') return ''
  const clean = value.slice(0, MAX_INPUT_UNITS).replace(INVISIBLE, '').replace(SPACING, ' ').trim()
  const codePoints = Array.from(clean)
  if (codePoints.length <= MAX_CODE_POINTS) return clean
  // The ellipsis says the value was cut, so nobody mistakes the prefix for the whole name.
  return codePoints.slice(0, MAX_CODE_POINTS - 1).join('').trimEnd() + '…'
}
