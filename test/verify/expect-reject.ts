// Every rejection must be exactly the expected reason, and one from the audit vocabulary.
import { expect } from 'vitest'
import { VERIFY_REASONS } from '../../src/verify/reasons.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'

export function expectReject (result: VerifyResult, reason: string): void {
  expect(result).toEqual({ ok: false, reason })
  expect(VERIFY_REASONS).toContain(reason)
}

/** A copy of `bytes` with one bit flipped (position taken modulo the bit length). */
export function flipBit (bytes: Buffer, position: number): Buffer {
  const copy = Buffer.from(bytes)
  const bit = position % (copy.length * 8)
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7))
  return copy
}
