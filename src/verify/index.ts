// The only place where a caller's `scheme` name maps to an implementation. Adding a scheme means
// one file next to this one and one case below (platform schemes: github, slack, … go here too).
import type { Verifier } from './verifier.ts'
import { failClosed } from './fail-closed.ts'
import { hmacSha256Verifier } from './hmac-sha256.ts'
import { standardWebhooksVerifier } from './standard-webhooks.ts'

/** @throws Error for a scheme this build does not implement, so a config naming one fails at start-up. */
export function createVerifier (scheme: string): Verifier {
  switch (scheme) {
    case 'hmac-sha256':
      return failClosed(hmacSha256Verifier)
    case 'standard-webhooks':
      return failClosed(standardWebhooksVerifier)
    default:
      throw new Error(`unknown signature scheme ${JSON.stringify(String(scheme).slice(0, 64))}`)
  }
}
