// The linear-time engine: catastrophic patterns it accepts scale linearly, non-linear syntax is
// refused with its reason, patterns are case-folded like the text. The G-POL-2 figures (a library of
// catastrophic patterns and the example config's against 100 KiB, the length and count caps through
// `hookgate check`) are test/reliability/redos.test.ts.
import { describe, expect, it } from 'vitest'
import { compileLinear, foldPatternCase } from '../../src/policy/linear-regex.ts'
import { tryCompilePolicy } from '../../src/policy/compiled-policy.ts'
import { normalizeText } from '../../src/policy/normalize.ts'

/** Best of three, so the bound measures the engine rather than a GC pause or a cold JIT. */
function bestTimeMs (regex: RegExp, input: string): number {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const start = performance.now()
    regex.test(input)
    best = Math.min(best, performance.now() - start)
  }
  return best
}

function problemsOf (input: Parameters<typeof tryCompilePolicy>[0]): Array<{ path: string, message: string }> {
  const result = tryCompilePolicy(input)
  return result.ok ? [] : result.problems
}

describe('catastrophic patterns', () => {
  // The engine is linear in the input but its constant grows with the pattern: a 60-word
  // alternation takes ~130 ms on 100 KiB here. What must hold for every accepted pattern is
  // linearity, so doubling the input must not much more than double the time.
  it.each([
    ['(.*a){8}', '(.*a){8}', 'a'],
    ['a 60-word alternation', `\\b(${Array.from({ length: 60 }, (_, i) => `word${i}`).join('|')})\\b`, 'word '],
    ['(.*.*.*.*.*.*.*)*x', '(.*.*.*.*.*.*.*)*x', 'a']
  ])('%s scales linearly', (_name, source, unit) => {
    const regex = compileLinear(source)
    const small = bestTimeMs(regex, unit.repeat(Math.ceil(25_000 / unit.length)))
    const large = bestTimeMs(regex, unit.repeat(Math.ceil(100_000 / unit.length)))
    expect(large / small).toBeLessThan(8) // 4× the input; quadratic would be 16×
  })
})

describe('refused syntax', () => {
  it.each([
    ['backreference', '(a)\\1'],
    ['named backreference', '(?<x>a)\\k<x>'],
    ['lookahead', 'rm(?= -rf)'],
    ['negative lookahead', 'rm(?!x)'],
    ['lookbehind', '(?<=sudo )rm'],
    ['negative lookbehind', '(?<!no )rm'],
    ['large counted repetition', 'a{1000}'],
    ['inline modifier', '(?i:rm)']
  ])('refuses a %s as not linear', (_name, source) => {
    expect(() => compileLinear(source)).toThrow(/cannot be run in linear time/)
    expect(() => compileLinear(source)).toThrow(new RegExp(`^pattern ${JSON.stringify(source).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} `))
  })

  it.each(['\\p{L}+', '[\\P{L}]', '\\u{1F600}'])('refuses %s, which means something else without the u flag', (source) => {
    expect(() => compileLinear(source)).toThrow(/needs the u flag/)
  })

  it('refuses invalid syntax with the engine\'s reason', () => {
    expect(() => compileLinear('(rm')).toThrow(/is not a valid regular expression/)
  })

  it('allows lookalike syntax inside a class and escaped', () => {
    expect(compileLinear('[(?=]x').test('=x')).toBe(true)
    expect(compileLinear('\\(\\?=').test('(?=')).toBe(true)
  })

  it('names the JSON pointer of every bad pattern', () => {
    const problems = problemsOf({
      policy: { block: ['ok', '(a)\\1', 'rm(?=x)'] },
      commands: {
        git: { prompt: 'git {args}', args_match: '(?<=x)y', allow: ['fine', '(a'] }
      },
      callers: {}
    })
    expect(problems.map((p) => p.path)).toEqual([
      '/policy/block/1',
      '/policy/block/2',
      '/commands/git/allow/1',
      '/commands/git/args_match'
    ])
    expect(problems[0]?.message).toMatch(/cannot be run in linear time/)
  })

  it('refuses a block pattern that matches every request', () => {
    expect(problemsOf({ policy: { block: ['x*'] }, callers: {} })).toEqual([
      { path: '/policy/block/0', message: expect.stringMatching(/empty string/) }
    ])
  })
})

describe('case folding of patterns', () => {
  it('folds literals the way text is folded, keeps escapes', () => {
    expect(foldPatternCase('RM\\S+\\W\\B\\D[A-Z]')).toBe('rm\\S+\\W\\B\\D[a-z]')
    expect(foldPatternCase('STRAßE ΣΟΦΟΣ')).toBe('strasse σοφοσ')
  })

  it('a pattern written in capitals still matches normalised text', () => {
    const text = normalizeText('please DELETE the Repo')
    expect(text.ok && compileLinear('\\bDelete\\s+THE\\s+repo\\b').test(text.matchText)).toBe(true)
    const greek = normalizeText('ΣΟΦΟΣ')
    expect(greek.ok && compileLinear('σοφος').test(greek.matchText)).toBe(true)
  })
})
