// The producer side, for `hookgate sign` and `hookgate send`: the headers a sender attaches for a
// body. It shares header names, the id grammar and the secret format with the verifiers but none
// of their code paths, and its output is checked in tests against an independent oracle and the
// official SDK, so a signer and verifier cannot be wrong in the same way unnoticed.
import { createHmac, randomBytes } from 'node:crypto'
import { HMAC_SHA256_HEADERS, STANDARD_WEBHOOKS_HEADERS } from './scheme-headers.ts'
import { isValidWebhookId } from './standard-webhooks-id.ts'
import { decodeStandardWebhooksSecret } from './standard-webhooks-secret.ts'

export interface SignOptions {
  /** Unix seconds; defaults to the current time. */
  timestamp?: number
  /** `webhook-id` for standard-webhooks; defaults to a random `msg_…` id. */
  id?: string
  /** hmac-sha256 only: 0 signs the body alone and sends no timestamp (the receiver's max_age 0 mode). */
  maxAge?: number
}

const MAX_TIMESTAMP = 999_999_999_999

function resolveTimestamp (timestamp: number | undefined): string {
  const seconds = timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_TIMESTAMP) {
    throw new Error('timestamp must be an integer number of unix seconds between 0 and 999999999999')
  }
  return String(seconds)
}

function signHmacSha256 (secret: string, body: Buffer, opts: SignOptions): Record<string, string> {
  if (secret.length === 0) throw new Error('secret must not be empty')
  const hmac = createHmac('sha256', secret)
  if (opts.maxAge === 0) {
    return { [HMAC_SHA256_HEADERS.signature]: 'sha256=' + hmac.update(body).digest('hex') }
  }
  const timestamp = resolveTimestamp(opts.timestamp)
  return {
    [HMAC_SHA256_HEADERS.timestamp]: timestamp,
    [HMAC_SHA256_HEADERS.signature]: 'sha256=' + hmac.update(timestamp).update('.').update(body).digest('hex')
  }
}

function signStandardWebhooks (secret: string, body: Buffer, opts: SignOptions): Record<string, string> {
  const key = decodeStandardWebhooksSecret(secret)
  if (key === null) throw new Error('secret must be base64 key material, optionally prefixed with whsec_')
  const id = opts.id ?? 'msg_' + randomBytes(16).toString('hex')
  if (!isValidWebhookId(id)) throw new Error('id must be 1 to 256 printable ASCII characters without spaces or dots')
  const timestamp = resolveTimestamp(opts.timestamp)
  const signature = createHmac('sha256', key).update(id).update('.').update(timestamp).update('.').update(body).digest('base64')
  return {
    [STANDARD_WEBHOOKS_HEADERS.id]: id,
    [STANDARD_WEBHOOKS_HEADERS.timestamp]: timestamp,
    [STANDARD_WEBHOOKS_HEADERS.signature]: 'v1,' + signature
  }
}

/**
 * Header name → value to send with `body`. Errors name the bad option, never the secret.
 * @throws Error for an unknown scheme, an unusable secret, or an out-of-grammar timestamp or id.
 */
export function signRequest (scheme: string, secret: string, body: Buffer, opts: SignOptions = {}): Record<string, string> {
  switch (scheme) {
    case 'hmac-sha256':
      return signHmacSha256(secret, body, opts)
    case 'standard-webhooks':
      return signStandardWebhooks(secret, body, opts)
    default:
      throw new Error(`cannot sign for scheme ${JSON.stringify(String(scheme).slice(0, 64))}`)
  }
}
