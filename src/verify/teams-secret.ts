// A Teams outgoing-webhook security token is base64 of a 256-bit key, shown once when the webhook
// is created. The HMAC key is the decoded bytes: using the token text itself as the key is the
// classic bug, and it produces signatures Teams never sends.
import { decodeBase64Key } from './base64.ts'

/** @returns the HMAC key, or null when the token is not strict base64 or decodes to nothing. */
export function decodeTeamsSecret (secret: string): Buffer | null {
  return decodeBase64Key(secret)
}
