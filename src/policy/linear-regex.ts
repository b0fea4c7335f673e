// Operator-written patterns run against text from the internet, so they must never backtrack.
// V8's experimental linear-time engine (flag `l`) refuses anything it cannot run in linear time
// (backreferences, lookahead, large counted repetition), which is exactly the safe subset.
// It supports neither `i` nor `u`, so patterns are case-folded here the same way normalisation
// folds the text they are matched against.
import { setFlagsFromString } from 'node:v8'
import { foldCase } from './case-fold.ts'
import { MAX_UNBOUNDED_REPETITIONS, repetitionCost } from './repetition-cost.ts'

/** Enables the engine; the flag only affects regular expressions compiled with `l`, and setting it twice is harmless. */
function enableLinearEngine (): void {
  setFlagsFromString('--enable-experimental-regexp-engine')
}

/**
 * Case-folds literal characters (by code point, so astral letters fold too) but not the character
 * after a backslash (`\S`, `\W`, `\B`, `\D` keep their meaning).
 */
export function foldPatternCase (source: string): string {
  let out = ''
  let escaped = false
  for (const ch of source) {
    if (escaped) {
      out += ch
      escaped = false
    } else if (ch === '\\') {
      out += ch
      escaped = true
    } else {
      out += foldCase(ch)
    }
  }
  return out
}

/**
 * Syntax the engine would accept but that must not load:
 * - lookbehind: newer V8 runs it in linear time, older builds refuse it, and a config must load the
 *   same on every Node 24; the schema promises "lookaround is refused" anyway.
 * - `\p{…}` and `\u{…}`: without the `u` flag (which the engine refuses) they silently mean the
 *   letters `p{…}` and `u` repeated, never what the operator meant.
 * Returns the reason, or null when the source is fine.
 */
function unsupportedSyntax (source: string): string | null {
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]
    if (ch === '\\') {
      const next = source[i + 1]
      if (next === 'p' || next === 'P') return 'uses a Unicode property escape (\\p{…}), which needs the u flag the linear-time engine does not support'
      if (next === 'u' && source[i + 2] === '{') return 'uses a \\u{…} code point escape, which needs the u flag the linear-time engine does not support; use \\uXXXX'
      i++
    } else if (inClass) {
      if (ch === ']') inClass = false
    } else if (ch === '[') {
      inClass = true
    } else if (ch === '(' && source[i + 1] === '?') {
      const kind = source.slice(i + 2, i + 4)
      if (kind[0] === '=' || kind[0] === '!' || kind === '<=' || kind === '<!') {
        return 'uses lookaround, which is not allowed (it cannot be run in linear time on every Node version)'
      }
    }
  }
  return null
}

/**
 * Compiles a pattern for the linear-time engine.
 * @throws Error with a message fit for a config error when the pattern is invalid or would need backtracking.
 */
export function compileLinear (source: string): RegExp {
  const unsupported = unsupportedSyntax(source)
  if (unsupported !== null) throw new Error(`pattern ${JSON.stringify(source)} ${unsupported}`)
  const cost = repetitionCost(source)
  if (cost > MAX_UNBOUNDED_REPETITIONS) {
    throw new Error(`pattern ${JSON.stringify(source)} has ${cost} unbounded repetitions once its counted repeats are expanded (at most ${MAX_UNBOUNDED_REPETITIONS}): each one slows matching of every prompt`)
  }
  enableLinearEngine()
  try {
    return new RegExp(foldPatternCase(source), 'l')
  } catch (err) {
    const why = (err as Error).message.includes('linear time')
      ? 'cannot be run in linear time (backreferences, lookaround and large counted repetitions are not allowed)'
      : `is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`
    throw new Error(`pattern ${JSON.stringify(source)} ${why}`)
  }
}
