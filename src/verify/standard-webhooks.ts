// Scheme `standard-webhooks` (Standard Webhooks v1): HMAC-SHA256 over
// `<webhook-id>.<webhook-timestamp>.<body>`, carried as space-separated `v1,<base64>` entries so
// senders can sign with several keys during rotation.
import { createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { fail } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { trySecrets } from './signed-headers.ts'
import { STANDARD_WEBHOOKS_HEADERS } from './scheme-headers.ts'
import { isValidWebhookId, MAX_WEBHOOK_ID_LENGTH } from './standard-webhooks-id.ts'
import { decodeStandardWebhooksSecret } from './standard-webhooks-secret.ts'
import { isWithinWindow, parseTimestamp } from './timestamp.ts'
import { timingSafeEqual } from './timing-safe-equal.ts'

// Any version tag, so future or asymmetric entries (`v1a`) can be skipped rather than refused.
const ENTRY = /^([a-z0-9]{1,16}),([A-Za-z0-9+/]+={0,2})$/
// A v1 signature is 32 bytes: 43 base64 characters and one `=`.
const V1_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/
const MAX_ENTRIES = 8
// 8 entries of the longest common kind (v1a, 64-byte Ed25519: 92 characters) fit well inside 2 KiB.
const MAX_SIGNATURE_HEADER = 2048
const MAX_TIMESTAMP_HEADER = 64

const ID_HEADER = STANDARD_WEBHOOKS_HEADERS.id
const TIMESTAMP_HEADER = STANDARD_WEBHOOKS_HEADERS.timestamp
const SIGNATURE_HEADER = STANDARD_WEBHOOKS_HEADERS.signature

type Signatures = { ok: true, v1: Buffer[] } | { ok: false, reason: 'too_many_signatures' | 'malformed_signature' | 'no_supported_signature' }

/**
 * The whole header must be well-formed: one malformed entry rejects the request even if another
 * would match. No legitimate sender emits one, and "skip what we don't understand" is how lax
 * parsers end up accepting header bytes nobody signed off on.
 */
function parseSignatures (header: string): Signatures {
  const entries = header.split(' ', MAX_ENTRIES + 1)
  if (entries.length > MAX_ENTRIES) return { ok: false, reason: 'too_many_signatures' }
  const v1: Buffer[] = []
  for (const entry of entries) {
    const match = ENTRY.exec(entry)
    if (match === null) return { ok: false, reason: 'malformed_signature' }
    if (match[1] !== 'v1') continue
    const encoded = match[2] as string
    if (!V1_SIGNATURE.test(encoded)) return { ok: false, reason: 'malformed_signature' }
    const bytes = Buffer.from(encoded, 'base64')
    // Canonical only: non-zero padding bits would give a second spelling of the same signature.
    if (bytes.toString('base64') !== encoded) return { ok: false, reason: 'malformed_signature' }
    v1.push(bytes)
  }
  return v1.length === 0 ? { ok: false, reason: 'no_supported_signature' } : { ok: true, v1 }
}

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { rawBody, headers, secrets, maxAge, now } = input

  const idHeader = readHeader(headers, ID_HEADER, MAX_WEBHOOK_ID_LENGTH)
  if (!idHeader.ok) return fail(idHeader.reason)
  if (idHeader.value === undefined) return fail('missing_id')
  const id = idHeader.value
  if (!isValidWebhookId(id)) return fail('malformed_id')

  const timestampHeader = readHeader(headers, TIMESTAMP_HEADER, MAX_TIMESTAMP_HEADER)
  if (!timestampHeader.ok) return fail(timestampHeader.reason)
  if (timestampHeader.value === undefined) return fail('missing_timestamp')
  const timestamp = timestampHeader.value
  const seconds = parseTimestamp(timestamp)
  if (seconds === null) return fail('malformed_timestamp')

  const signatureHeader = readHeader(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER)
  if (!signatureHeader.ok) return fail(signatureHeader.reason)
  if (signatureHeader.value === undefined) return fail('missing_signature')
  const signatures = parseSignatures(signatureHeader.value)
  if (!signatures.ok) return fail(signatures.reason)

  // This scheme has no "no timestamp" mode: max_age 0 means a zero-second window, not none.
  if (!isWithinWindow(seconds, now, maxAge)) return fail('timestamp_out_of_window')

  // The timestamp header is signed as received; the official SDK re-serialises parseInt() of it,
  // which only differs for headers our grammar accepts with leading zeros (and then we reject).
  const result = trySecrets(secrets, decodeStandardWebhooksSecret, (key) => {
    const expected = createHmac('sha256', key).update(id).update('.').update(timestamp).update('.').update(rawBody).digest()
    return signatures.v1.some((provided) => timingSafeEqual(expected, provided))
  })
  if (result !== 'ok') return fail(result)
  // The id is signed and stays the same across the sender's retries: the spec's idempotency key.
  return { ok: true, replayKey: 'standard-webhooks:' + id }
}

export const standardWebhooksVerifier: Verifier = { verify }
