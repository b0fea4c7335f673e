import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { isWithinWindow, parseTimestamp } from '../../src/verify/timestamp.ts'

describe('parseTimestamp', () => {
  it.each([
    ['0', 0],
    ['1614265330', 1614265330],
    ['999999999999', 999999999999],
    ['01614265330', 1614265330]
  ])('accepts %j', (value, expected) => {
    expect(parseTimestamp(value)).toBe(expected)
  })

  it.each([
    ['leading plus', '+123'],
    ['decimal', '12.5'],
    ['trailing decimal', '123.'],
    ['leading space', ' 123'],
    ['trailing space', '123 '],
    ['trailing newline', '123\n'],
    ['hex', '0x10'],
    ['exponent', '1e3'],
    ['13 digits', '1000000000000'],
    ['empty', ''],
    ['negative', '-1'],
    ['negative zero', '-0'],
    ['trailing garbage', '1614265330abc'],
    ['underscore separator', '1_000'],
    ['Arabic-Indic digits', '١٢٣'],
    ['full-width digits', '１２３'],
    ['Infinity', 'Infinity'],
    ['NaN', 'NaN']
  ])('rejects %s (%j)', (_name, value) => {
    expect(parseTimestamp(value)).toBeNull()
  })

  it('round-trips every integer it can represent and rejects any non-digit character', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), (n) => {
      expect(parseTimestamp(String(n))).toBe(n)
    }))
    fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), (s) => {
      if (/[^0-9]/.test(s)) expect(parseTimestamp(s)).toBeNull()
    }))
  })
})

describe('isWithinWindow', () => {
  const now = 1_700_000_000
  it.each([
    [now - 300, true],
    [now + 300, true],
    [now, true],
    [now - 301, false],
    [now + 301, false]
  ])('ts %d with now ± 300 → %s', (ts, expected) => {
    expect(isWithinWindow(ts, now, 300)).toBe(expected)
  })

  it('a zero window accepts only the current second', () => {
    expect(isWithinWindow(now, now, 0)).toBe(true)
    expect(isWithinWindow(now + 1, now, 0)).toBe(false)
    expect(isWithinWindow(now - 1, now, 0)).toBe(false)
  })

  it('fails closed on NaN', () => {
    expect(isWithinWindow(Number.NaN, now, 300)).toBe(false)
    expect(isWithinWindow(now, Number.NaN, 300)).toBe(false)
  })
})
