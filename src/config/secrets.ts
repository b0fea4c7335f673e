// Secret strength is judged on the key bytes the scheme actually uses, so a base64 secret is
// measured after decoding, not by its text length.
import { decodeStandardWebhooksSecret } from '../verify/standard-webhooks-secret.ts'

export const MIN_SECRET_BYTES = 16

const HMAC_FIX = 'generate one with: openssl rand -hex 32'
const STANDARD_WEBHOOKS_FIX = 'generate one with: echo "whsec_$(openssl rand -base64 32)"'

/**
 * The HMAC key bytes for a caller secret, or why the secret is unusable.
 * standard-webhooks: optional `whsec_` prefix (as the official library accepts), then base64.
 * Messages never contain the secret.
 */
export function secretKey (scheme: string, secret: string): { key: Buffer } | { error: string } {
  if (scheme === 'standard-webhooks') {
    // The verifier's own decoder, so a secret that loads is exactly one that can verify.
    const key = decodeStandardWebhooksSecret(secret)
    if (key === null) return { error: `is not "whsec_" followed by base64: ${STANDARD_WEBHOOKS_FIX}` }
    if (key.length < MIN_SECRET_BYTES) {
      return { error: `decodes to ${key.length} bytes, at least ${MIN_SECRET_BYTES} are required: ${STANDARD_WEBHOOKS_FIX}` }
    }
    return { key }
  }
  const key = Buffer.from(secret, 'utf8')
  if (key.length < MIN_SECRET_BYTES) {
    return { error: `is ${key.length} bytes, at least ${MIN_SECRET_BYTES} are required: ${HMAC_FIX}` }
  }
  return { key }
}

/** Same rule for the admin bearer token, which is compared as text. */
export function adminTokenProblem (token: string): string | null {
  const bytes = Buffer.byteLength(token, 'utf8')
  return bytes < MIN_SECRET_BYTES ? `admin_token is ${bytes} bytes, at least ${MIN_SECRET_BYTES} are required: ${HMAC_FIX}` : null
}
