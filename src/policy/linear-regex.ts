// Operator-written patterns run against text from the internet, so they must never backtrack.
// V8's experimental linear-time engine (flag `l`) refuses anything it cannot run in linear time
// (backreferences, lookaround, large counted repetition), which is exactly the safe subset.
// It supports neither `i` nor `u`, so patterns are folded to lower case here, as the text they
// are matched against is case-folded by normalisation.
import { setFlagsFromString } from 'node:v8'

/** Enables the engine once per process; the flag only affects regular expressions compiled with `l`. */
function enableLinearEngine (): void {
  setFlagsFromString('--enable-experimental-regexp-engine')
}

/** Lower-cases literal letters but not the character after a backslash (`\S`, `\W`, `\B`, `\D` keep their meaning). */
export function foldPatternCase (source: string): string {
  let out = ''
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string
    if (ch === '\\' && i + 1 < source.length) {
      out += ch + (source[i + 1] as string)
      i++
    } else {
      out += ch.toLowerCase()
    }
  }
  return out
}

/**
 * Compiles a pattern for the linear-time engine.
 * @throws Error with a message fit for a config error when the pattern is invalid or would need backtracking.
 */
export function compileLinear (source: string): RegExp {
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
