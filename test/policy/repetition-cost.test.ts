import { describe, expect, it } from 'vitest'
import { compileLinear } from '../../src/policy/linear-regex.ts'
import { MAX_UNBOUNDED_REPETITIONS, repetitionCost } from '../../src/policy/repetition-cost.ts'

describe('repetition cost', () => {
  it.each([
    ['rm\\s+-rf', 1],
    ['.*.*.*.*x$', 4],
    ['(.*a){12}', 12],
    ['(.*a){2,5}', 5],
    ['(ab){3}', 0],
    ['(a+){2,}', 3],
    ['a{2,}b*', 2],
    ['a{3}', 0],
    ['[*+{]+', 1],
    ['\\*\\+', 0],
    ['((a*){2}b+){3}', 9]
  ])('%s costs %d', (source, cost) => {
    expect(repetitionCost(source)).toBe(cost)
  })

  it('refuses a pattern over the bound with a reason, and accepts one at it', () => {
    expect(() => compileLinear('(.*a){12}')).toThrow(/12 unbounded repetitions.*at most 8/)
    expect(() => compileLinear('(.*a){8}')).not.toThrow()
    expect(MAX_UNBOUNDED_REPETITIONS).toBe(8)
  })
})
