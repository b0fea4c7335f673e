// Teams limits messages by payload bytes (28 KB), not characters, and JSON escaping makes the two
// differ widely: CJK text is 3 bytes a character, emoji 4, a control character 6 (`\u001b`).

/** Bytes `text` takes inside a JSON document, as a string value without its quotes. */
export function encodedBytes (text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2
}

/**
 * Cuts `text` into pieces of at most `maxBytes` encoded bytes each, on code point boundaries,
 * preferring the last line break when it keeps a piece at least half full. One piece when it fits.
 */
export function splitToEncodedBytes (text: string, maxBytes: number): string[] {
  if (encodedBytes(text) <= maxBytes) return [text]
  const pieces: string[] = []
  let piece = ''
  let size = 0
  // Length of `piece` up to and including its last line break, or -1.
  let lineEnd = -1
  for (const char of text) {
    const cost = encodedBytes(char)
    if (size + cost > maxBytes && piece !== '') {
      const cut = lineEnd >= piece.length / 2 ? lineEnd : piece.length
      pieces.push(piece.slice(0, cut))
      piece = piece.slice(cut)
      size = encodedBytes(piece)
      lineEnd = -1
    }
    piece += char
    size += cost
    if (char === '\n') lineEnd = piece.length
  }
  if (piece !== '') pieces.push(piece)
  return pieces
}
