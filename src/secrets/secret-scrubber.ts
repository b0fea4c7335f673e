// Replaces every configured secret, in every form it is likely to be printed in, with [redacted].
// It is applied where agent output enters the gateway (src/runs/execute-run.ts) and to every line
// of the process log (src/logger.ts), so nothing downstream (event streams, stored runs, chat
// replies, callbacks, the audit log) ever holds a secret to leak.
//
// Limits, by design: values shorter than MIN_SECRET_BYTES (line breaks aside) are ignored (they
// would redact ordinary words); a secret is found raw, JSON-escaped, URL- or form-encoded, as hex
// and as base64 or base64url at any alignment (src/secrets/base64-middles.ts); a secret cut by line
// breaks is found when both parts are in the same text, and a piece of one at a cut the caller knows
// of (a size cap, a window on stderr) when asked (best effort); other transformations (reversed,
// spaced out, encoded twice, encrypted) are not and cannot be recognised.
import { LiteralSearch } from './literal-search.ts'
import { MAX_PREFIX, PrefixIndex } from './prefix-index.ts'
import { secretEncodings } from './secret-encodings.ts'

export const REDACTED = '[redacted]'
export const MIN_SECRET_BYTES = 8
/** A chunk ending with this many characters of a secret's beginning may be a cut secret. */
const MIN_CUT_CHARS = 4

export class SecretScrubber {
  readonly #search: LiteralSearch
  readonly #prefixes: PrefixIndex
  /** The literals reversed: a text starting with the end of a literal, read backwards. */
  readonly #suffixes: PrefixIndex
  readonly #count: number

  constructor (secrets: Iterable<string>) {
    // Counted without line breaks, which the search skips (src/secrets/literal-search.ts).
    const distinct = [...new Set(secrets)].filter((s) => Buffer.byteLength(s.replace(/[\r\n]+/g, ''), 'utf8') >= MIN_SECRET_BYTES)
    const literals = distinct.flatMap(secretEncodings)
    this.#search = new LiteralSearch(literals)
    const compact = literals.map((l) => l.replace(/[\r\n]+/g, ''))
    this.#prefixes = new PrefixIndex(compact, MIN_CUT_CHARS)
    this.#suffixes = new PrefixIndex(compact.map(reverse), MIN_CUT_CHARS)
    this.#count = distinct.length
  }

  /** How many distinct secrets are scrubbed (those long enough to count). */
  get size (): number {
    return this.#count
  }

  scrub (text: string): string {
    return this.#search.redact(text, REDACTED)
  }

  /** A copy of a JSON-like value with every string scrubbed; other values are returned as they are. */
  scrubDeep<T> (value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T
    if (Array.isArray(value)) return value.map((item) => this.scrubDeep(item)) as T
    if (isPlainObject(value)) {
      // fromEntries defines own properties, so a `__proto__` key stays a key.
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.scrubDeep(v)])) as T
    }
    return value
  }

  /**
   * How many characters at the end of `text`, line breaks not counted, are the beginning of a secret
   * in one of its forms: the text may have been cut inside a secret. 0 when none.
   */
  cutAtEnd (text: string): number {
    // Enough to hold the longest indexed beginning even with a line break between every character.
    return this.#prefixes.longestAtEnd(text.slice(-2 * MAX_PREFIX).replace(/[\r\n]+/g, ''))
  }

  /**
   * `scrub`, letting the event loop turn (through `pause`) while a long text is searched: for a run's
   * whole answer, which can be as long as `agent.max_output_bytes`.
   */
  async scrubInSteps (text: string, pause: () => Promise<unknown>): Promise<string> {
    return await this.#search.redactInSteps(text, REDACTED, pause)
  }

  /** `text` scrubbed, and with the beginning of a secret at its very end redacted too: for text that was cut short. */
  scrubCutEnd (text: string): string {
    return this.#redactBeginningAtEnd(this.scrub(text))
  }

  /** `scrubCutEnd`, searching a long text in steps as `scrubInSteps` does. */
  async scrubCutEndInSteps (text: string, pause: () => Promise<unknown>): Promise<string> {
    return this.#redactBeginningAtEnd(await this.scrubInSteps(text, pause))
  }

  /** `text` scrubbed, and with the end of a secret at its very start redacted too: for text that continues a cut one. */
  scrubCutStart (text: string): string {
    return this.#redactEndAtStart(this.scrub(text))
  }

  /**
   * `text` scrubbed, and with the end of a secret at the start of any line redacted too: for text
   * that may begin inside a secret somewhere, like the last kilobytes of an agent's stderr quoted
   * in an error.
   */
  scrubCutLineStarts (text: string): string {
    return this.scrub(text).split('\n').map((line) => this.#redactEndAtStart(line)).join('\n')
  }

  #redactBeginningAtEnd (clean: string): string {
    let end = clean.length
    while (end > 0 && (clean.charCodeAt(end - 1) === 10 || clean.charCodeAt(end - 1) === 13)) end--
    const body = clean.slice(0, end)
    const cut = this.#prefixes.longestAtEnd(body)
    return cut === 0 ? clean : body.slice(0, body.length - cut) + REDACTED + clean.slice(body.length)
  }

  #redactEndAtStart (text: string): string {
    const cut = this.#suffixes.longestAtEnd(reverse(text.slice(0, MAX_PREFIX)))
    return cut === 0 ? text : REDACTED + text.slice(cut)
  }
}

/** By UTF-16 code unit, the same way for the literals and the text, so the two always compare. */
function reverse (text: string): string {
  return text.split('').reverse().join('')
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
