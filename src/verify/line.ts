// Scheme `line` (contract §4): `X-Line-Signature` = base64 HMAC-SHA256(channel secret, raw body).
// The channel secret is used as its UTF-8 text, exactly as LINE shows it (it looks like hex, but
// LINE and @line/bot-sdk never decode it). No timestamp: redeliveries are recognised later from
// each event's webhookEventId.
import { createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { decodeBase64Signature } from './base64.ts'
import { fail } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { LINE_HEADERS } from './scheme-headers.ts'
import { timingSafeEqual } from './timing-safe-equal.ts'

// A valid header is 44 bytes.
const MAX_SIGNATURE_HEADER = 256
const SIGNATURE_BYTES = 32

const SIGNATURE_HEADER = LINE_HEADERS.signature.toLowerCase()

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { rawBody, headers, secrets } = input

  const signatureHeader = readHeader(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER)
  if (!signatureHeader.ok) return fail(signatureHeader.reason)
  if (signatureHeader.value === undefined) return fail('missing_signature')
  const provided = decodeBase64Signature(signatureHeader.value, SIGNATURE_BYTES)
  if (provided === null) return fail('malformed_signature')

  let usable = 0
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) continue
    usable++
    if (timingSafeEqual(createHmac('sha256', secret).update(rawBody).digest(), provided)) {
      return { ok: true, replayKey: null }
    }
  }
  return fail(usable === 0 ? 'no_usable_secret' : 'signature_mismatch')
}

export const lineVerifier: Verifier = { verify }
