import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { decodeBase64Key, decodeBase64Signature } from '../../src/verify/base64.ts'

describe('decodeBase64Signature', () => {
  it('round-trips canonical base64 of exactly the expected length', () => {
    fc.assert(fc.property(fc.constantFrom(20, 32, 64), fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes, data) => {
      const value = Buffer.from(data.subarray(0, bytes))
      expect(decodeBase64Signature(value.toString('base64'), bytes)).toEqual(value)
    }), { numRuns: 300 })
  })

  it('accepts exactly one spelling per value: any changed character decodes differently or not at all', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(43), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'), (data, at, char) => {
      const canonical = Buffer.from(data).toString('base64')
      const edited = canonical.slice(0, at) + char + canonical.slice(at + 1)
      const decoded = decodeBase64Signature(edited, 32)
      if (edited !== canonical && decoded !== null) expect(decoded.equals(Buffer.from(data))).toBe(false)
    }), { numRuns: 500 })
  })

  it.each([
    ['no padding', 'A'.repeat(43), 32],
    ['wrong length', 'A'.repeat(40) + '=', 32],
    ['too long', 'A'.repeat(44) + 'AAAA', 32],
    ['two padding characters for 32 bytes', 'A'.repeat(42) + '==', 32],
    ['URL-safe alphabet', '-' + 'A'.repeat(42) + '=', 32],
    ['whitespace', ' ' + 'A'.repeat(42) + '=', 32],
    ['non-zero padding bits', 'A'.repeat(42) + 'B=', 32],
    ['padding in the middle', 'AAA=' + 'A'.repeat(40), 32],
    ['empty', '', 20]
  ])('refuses %s', (_name, value, bytes) => {
    expect(decodeBase64Signature(value, bytes)).toBeNull()
  })
})

describe('decodeBase64Key', () => {
  it.each([
    ['padded', Buffer.alloc(32, 7).toString('base64'), 32],
    ['unpadded', Buffer.alloc(32, 7).toString('base64').replace(/=+$/, ''), 32],
    ['two padding characters', Buffer.alloc(16, 1).toString('base64'), 16]
  ])('decodes %s key material', (_name, value, bytes) => {
    expect(decodeBase64Key(value)?.length).toBe(bytes)
  })

  it.each([
    ['empty', ''],
    ['a trailing newline', `${Buffer.alloc(32, 7).toString('base64')}\n`],
    ['URL-safe characters', '-_-_' + 'A'.repeat(40)],
    ['incomplete padding', 'AAAAA='],
    ['a single leftover character', 'AAAAA'],
    ['only padding', '=='],
    ['not a string', 12 as unknown as string]
  ])('refuses %s', (_name, value) => {
    expect(decodeBase64Key(value)).toBeNull()
  })
})
