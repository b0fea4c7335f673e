// Patterns are compiled once, at load, and every problem is collected rather than thrown, so one
// `hookgate check` run reports all bad patterns of a config at once.
import { compileLinear } from './linear-regex.ts'
import { jsonPointer } from './json-pointer.ts'
import type { ConfigProblem } from '../config/problems.ts'

/** Caps from the threat model (docs/security.md): a long or long-listed pattern is a config smell and a cost multiplier. */
export const MAX_PATTERN_CHARS = 512
export const MAX_PATTERNS_PER_LIST = 200

/** Compiles one pattern; on failure records a problem at `path` and returns null. */
export function compilePattern (source: string, path: readonly (string | number)[], problems: ConfigProblem[]): RegExp | null {
  const at = jsonPointer(...path)
  if (source.length === 0) {
    problems.push({ path: at, message: 'pattern is empty' })
    return null
  }
  if (source.length > MAX_PATTERN_CHARS) {
    problems.push({ path: at, message: `pattern is ${source.length} characters long; at most ${MAX_PATTERN_CHARS} are allowed` })
    return null
  }
  try {
    return compileLinear(source)
  } catch (err) {
    problems.push({ path: at, message: (err as Error).message })
    return null
  }
}

/** Compiles a list; the result holds only the patterns that compiled, so check `problems` before using it. */
export function compilePatternList (sources: readonly string[], path: readonly (string | number)[], problems: ConfigProblem[]): RegExp[] {
  if (sources.length > MAX_PATTERNS_PER_LIST) {
    problems.push({ path: jsonPointer(...path), message: `${sources.length} patterns; at most ${MAX_PATTERNS_PER_LIST} are allowed` })
  }
  const compiled: RegExp[] = []
  sources.forEach((source, i) => {
    const regex = compilePattern(source, [...path, i], problems)
    if (regex !== null) compiled.push(regex)
  })
  return compiled
}
