// Scheme `hmac-sha256`: `X-Webhook-Signature: sha256=<hex>` over `<timestamp>.<raw body>`,
// or over the raw body alone when the caller's max_age is 0, which is what a one-line
// `openssl dgst -sha256 -hmac "$SECRET"` script produces.
import { createHash, createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { fail } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { trySecrets, utf8Key } from './signed-headers.ts'
import { HMAC_SHA256_HEADERS } from './scheme-headers.ts'
import { isWithinWindow, parseTimestamp } from './timestamp.ts'
import { equalDigests } from './timing-safe-equal.ts'

// Hex digits in either case: both spell the same 32 bytes and we compare bytes, so accepting
// upper case costs nothing and spares scripts that upper-case their digests. Exactly one
// lower-case `sha256=` prefix and exactly 64 digits, nothing before or after.
const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/
// Generous caps: a valid signature header is 71 bytes and a valid timestamp at most 12.
const MAX_SIGNATURE_HEADER = 256
const MAX_TIMESTAMP_HEADER = 64

const SIGNATURE_HEADER = HMAC_SHA256_HEADERS.signature.toLowerCase()
const TIMESTAMP_HEADER = HMAC_SHA256_HEADERS.timestamp.toLowerCase()

function computeMac (secret: string, timestamp: string | null, body: Buffer): Buffer {
  const hmac = createHmac('sha256', secret)
  if (timestamp !== null) hmac.update(timestamp).update('.')
  return hmac.update(body).digest()
}

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { rawBody, headers, secrets, maxAge, now } = input

  const signatureHeader = readHeader(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER)
  if (!signatureHeader.ok) return fail(signatureHeader.reason)
  if (signatureHeader.value === undefined) return fail('missing_signature')
  const match = SIGNATURE.exec(signatureHeader.value)
  if (match === null) return fail('malformed_signature')
  const provided = Buffer.from(match[1] as string, 'hex')

  // With max_age 0 the caller has opted out of timestamps: any timestamp header is ignored,
  // because it would not be covered by the signature.
  let timestamp: string | null = null
  if (maxAge > 0) {
    const timestampHeader = readHeader(headers, TIMESTAMP_HEADER, MAX_TIMESTAMP_HEADER)
    if (!timestampHeader.ok) return fail(timestampHeader.reason)
    if (timestampHeader.value === undefined) return fail('missing_timestamp')
    const seconds = parseTimestamp(timestampHeader.value)
    if (seconds === null) return fail('malformed_timestamp')
    if (!isWithinWindow(seconds, now, maxAge)) return fail('timestamp_out_of_window')
    // The header bytes themselves are signed (not a re-serialised number), so no two different
    // headers can verify as the same message.
    timestamp = timestampHeader.value
  }

  // Both are 32 bytes (the pattern allows exactly 64 hex digits), so they are compared directly.
  const result = trySecrets(secrets, utf8Key, (key) => equalDigests(computeMac(key, timestamp, rawBody), provided))
  return result === 'ok' ? { ok: true, replayKey: replayKeyFor(timestamp, rawBody) } : fail(result)
}

/**
 * With a timestamp, the signed bytes identify the delivery, so an exact replay inside the window
 * maps to the same key. Without one there is no signed identity to key on: the same body sent twice
 * on purpose is two requests, so dedup is left to the body's own `id` field.
 */
function replayKeyFor (timestamp: string | null, body: Buffer): string | null {
  if (timestamp === null) return null
  return 'hmac-sha256:' + createHash('sha256').update(timestamp).update('.').update(body).digest('hex')
}

export const hmacSha256Verifier: Verifier = { verify }
