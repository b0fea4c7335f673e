// The entities Teams uses when it turns what the user typed into HTML: the five XML ones, the
// non-breaking space its editor inserts after a mention, and numeric references. A non-breaking
// space becomes a plain one so `/deploy&nbsp;staging` still splits into a command and its argument.

const ENTITY = /&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));/g
const NAMED: ReadonlyMap<string, string> = new Map([
  ['nbsp', ' '], ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', '\'']
])

export function decodeEntities (text: string): string {
  // One pass: `&amp;lt;` is the `&lt;` the user typed, not `<`.
  return text.replace(ENTITY, (all: string, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED.get(name) ?? all
    const codePoint = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? '', 16)
    return isScalarValue(codePoint) ? String.fromCodePoint(codePoint) : '\uFFFD'
  })
}

/** Unicode scalar values, NUL excluded (HTML maps it, and surrogates, to U+FFFD too). */
function isScalarValue (codePoint: number): boolean {
  return codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff)
}
