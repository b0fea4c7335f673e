// Standard Webhooks secrets are `whsec_` + base64 of the raw key bytes. The official library
// (standardwebhooks 1.1.1) strips the prefix when present and base64-decodes whatever remains, so a
// secret without the prefix is still base64 key material, not a UTF-8 password; we do the same so
// a secret copied from a provider works here exactly as it does in their SDK.
//
// Unlike Buffer.from(s, 'base64'), anything outside the standard alphabet (URL-safe `-_`,
// whitespace, a trailing newline from a secrets file) makes the secret unusable rather than
// silently becoming a different key.
import { decodeBase64Key } from './base64.ts'

const PREFIX = 'whsec_'

/** @returns the HMAC key, or null when the secret is not valid base64 or decodes to nothing. */
export function decodeStandardWebhooksSecret (secret: string): Buffer | null {
  if (typeof secret !== 'string') return null
  return decodeBase64Key(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret)
}
