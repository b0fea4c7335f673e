// Strict base64 for keys and signatures. Buffer.from(s, 'base64') skips characters it does not
// know and ignores stray padding bits, so different header bytes (or a secret with a trailing
// newline, or URL-safe `-_`) would quietly stand for the same or a different value.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Key material in standard base64, padding optional (the official decoders accept both), but if
 * present it must complete the last quantum; a single leftover character encodes no whole byte and
 * means a truncated secret.
 * @returns the key bytes, or null when the text is not base64 or decodes to nothing.
 */
export function decodeBase64Key (encoded: string): Buffer | null {
  if (typeof encoded !== 'string' || !BASE64.test(encoded)) return null
  const unpadded = encoded.replace(/=+$/, '')
  if (unpadded.length % 4 === 1) return null
  if (unpadded.length !== encoded.length && encoded.length % 4 !== 0) return null
  const key = Buffer.from(unpadded, 'base64')
  return key.length === 0 ? null : key
}

/**
 * A signature of exactly `bytes` bytes in padded, canonical base64 (what every platform emits):
 * one spelling per signature, so a header can only verify in the form the platform produced.
 * @returns the signature bytes, or null for anything else.
 */
export function decodeBase64Signature (encoded: string, bytes: number): Buffer | null {
  if (encoded.length !== Math.ceil(bytes / 3) * 4 || !BASE64.test(encoded)) return null
  const decoded = Buffer.from(encoded, 'base64')
  if (decoded.length !== bytes || decoded.toString('base64') !== encoded) return null
  return decoded
}
