import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { timingSafeEqual } from '../../src/verify/timing-safe-equal.ts'

describe('timingSafeEqual', () => {
  it.each([
    ['equal buffers', Buffer.from('abc'), Buffer.from('abc'), true],
    ['equal strings', 'abc', 'abc', true],
    ['a string and its UTF-8 bytes', 'héllo ✓', Buffer.from('héllo ✓', 'utf8'), true],
    ['two empty values', '', Buffer.alloc(0), true],
    ['empty and non-empty', '', 'a', false],
    ['last byte differs', Buffer.from('abcd'), Buffer.from('abce'), false],
    ['first byte differs', Buffer.from('abcd'), Buffer.from('xbcd'), false],
    ['a proper prefix', 'abc', 'abcd', false],
    ['a longer value', Buffer.alloc(64, 1), Buffer.alloc(32, 1), false],
    ['same text, different case', 'ABC', 'abc', false]
  ])('%s → %s', (_name, a, b, expected) => {
    expect(timingSafeEqual(a, b)).toBe(expected)
    expect(timingSafeEqual(b, a)).toBe(expected)
  })

  it('never throws on a length mismatch (node:crypto timingSafeEqual would)', () => {
    expect(() => timingSafeEqual(Buffer.alloc(1), Buffer.alloc(100_000))).not.toThrow()
  })

  it('agrees with Buffer.equals for arbitrary and near-equal inputs', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      expect(timingSafeEqual(Buffer.from(a), Buffer.from(b))).toBe(Buffer.from(a).equals(Buffer.from(b)))
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (a, at, bit) => {
      const b = Buffer.from(a)
      b[at % b.length] = (b[at % b.length] as number) ^ (1 << bit)
      expect(timingSafeEqual(Buffer.from(a), b)).toBe(false)
    }), { numRuns: 500 })
  })
})
