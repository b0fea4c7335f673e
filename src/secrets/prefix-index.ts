// Whether a text ends with the beginning of a literal: the sign that a secret was cut at the end of
// one output chunk and continues in the next. Indexed by the last few characters, so the check costs
// a map lookup for ordinary text. Prefixes longer than MAX_PREFIX are not indexed, so a long secret
// (a private key) is only caught when it is cut within its first MAX_PREFIX characters: without the
// cap the index would hold every prefix of every encoding of a multi-kilobyte value.

export const MAX_PREFIX = 128

export class PrefixIndex {
  readonly #min: number
  readonly #prefixes = new Set<string>()
  /** Last `min` characters of each prefix → the lengths of the prefixes ending with them. */
  readonly #byEnd = new Map<string, number[]>()

  /** Only prefixes of at least `min` characters count: shorter ones would match ordinary text. */
  constructor (literals: Iterable<string>, min: number) {
    this.#min = min
    for (const literal of literals) {
      for (let length = min; length <= Math.min(literal.length - 1, MAX_PREFIX); length++) {
        const prefix = literal.slice(0, length)
        if (this.#prefixes.has(prefix)) continue
        this.#prefixes.add(prefix)
        const end = prefix.slice(-min)
        const lengths = this.#byEnd.get(end)
        if (lengths === undefined) this.#byEnd.set(end, [length])
        else lengths.push(length)
      }
    }
  }

  /** Length of the longest end of `text` that begins some literal (without being all of it); 0 if none. */
  longestAtEnd (text: string): number {
    if (text.length < this.#min) return 0
    const lengths = this.#byEnd.get(text.slice(-this.#min))
    if (lengths === undefined) return 0
    let best = 0
    for (const length of lengths) {
      if (length > best && length <= text.length && this.#prefixes.has(text.slice(-length))) best = length
    }
    return best
  }
}
