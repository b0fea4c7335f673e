// VerifyInput is assembled by our own route code, but a wrong type there (a NaN clock, a parsed
// body instead of raw bytes) must fail closed rather than quietly widen a window or sign the
// wrong bytes.
import type { VerifyInput } from './verifier.ts'
import type { VerifyReason } from './reasons.ts'

/** @returns null when the input is usable, otherwise the reason to reject it. */
export function checkInput (input: VerifyInput): VerifyReason | null {
  const { rawBody, headers, secrets, now, maxAge } = input
  if (!Buffer.isBuffer(rawBody)) return 'invalid_verifier_input'
  if (typeof headers !== 'object' || headers === null) return 'invalid_verifier_input'
  if (!Array.isArray(secrets)) return 'invalid_verifier_input'
  if (typeof now !== 'number' || !Number.isFinite(now)) return 'invalid_verifier_input'
  if (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0) return 'invalid_verifier_input'
  return null
}
