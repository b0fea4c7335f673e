// Standard Webhooks secrets are `whsec_` + base64 of the raw key bytes. The official library
// (standardwebhooks 1.1.1) strips the prefix when present and base64-decodes whatever remains, so a
// secret without the prefix is still base64 key material, not a UTF-8 password; we do the same so
// a secret copied from a provider works here exactly as it does in their SDK.
//
// Unlike Buffer.from(s, 'base64'), which skips characters it does not know, anything outside the
// standard alphabet (URL-safe `-_`, whitespace, a trailing newline from a secrets file) makes the
// secret unusable rather than silently becoming a different key.
const PREFIX = 'whsec_'
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** @returns the HMAC key, or null when the secret is not valid base64 or decodes to nothing. */
export function decodeStandardWebhooksSecret (secret: string): Buffer | null {
  if (typeof secret !== 'string') return null
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret
  if (!BASE64.test(encoded)) return null
  const unpadded = encoded.replace(/=+$/, '')
  // Padding is optional (the official decoder accepts both), but if present it must complete the
  // last quantum; a single leftover character encodes no whole byte and means a truncated secret.
  if (unpadded.length % 4 === 1) return null
  if (unpadded.length !== encoded.length && encoded.length % 4 !== 0) return null
  const key = Buffer.from(unpadded, 'base64')
  return key.length === 0 ? null : key
}
