// The linear-time engine runs every pattern in time proportional to the input, but the factor grows
// with the pattern's unbounded repetitions (`*`, `+`, `{n,}`), each one another state active at every
// character: about 5 ms per repetition over a 100 KiB prompt on a 2-core machine. A counted repeat of a
// group multiplies what is inside it, so `(.*a){12}` costs twelve. Counting them before a pattern is
// accepted keeps every accepted pattern under the goal of 50 ms per 100 KiB.

/** Patterns with more unbounded repetitions than this, once counted repeats are expanded, are refused. */
export const MAX_UNBOUNDED_REPETITIONS = 8

const COUNTED = /^\{(\d+)(,(\d*))?\}/

/** The number of unbounded repetitions of `source` with counted repeats of groups expanded. */
export function repetitionCost (source: string): number {
  const groups: number[] = [0]
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]
    if (ch === '\\') {
      i++
      continue
    }
    if (inClass) {
      if (ch === ']') inClass = false
      continue
    }
    if (ch === '[') {
      inClass = true
    } else if (ch === '(') {
      groups.push(0)
    } else if (ch === ')') {
      const inner = groups.length > 1 ? groups.pop()! : 0
      const counted = COUNTED.exec(source.slice(i + 1))
      if (counted === null) {
        groups[groups.length - 1]! += inner
        continue
      }
      const [, min, comma, max] = counted
      const times = Math.max(Number(min), max !== undefined && max !== '' ? Number(max) : 0, 1)
      // `{n,}` repeats without bound as well: one more repetition of its own.
      groups[groups.length - 1]! += inner * times + (comma !== undefined && max === '' ? 1 : 0)
      i += counted[0].length
    } else if (ch === '*' || ch === '+') {
      groups[groups.length - 1]! += 1
    } else if (ch === '{') {
      const counted = COUNTED.exec(source.slice(i))
      if (counted !== null && counted[2] !== undefined && counted[3] === '') groups[groups.length - 1]! += 1
      if (counted !== null) i += counted[0].length - 1
    }
  }
  return groups.reduce((sum, n) => sum + n, 0)
}
