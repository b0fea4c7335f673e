// Scheme `line`: `X-Line-Signature` = base64 HMAC-SHA256(channel secret, raw body).
// The channel secret is used as its UTF-8 text, exactly as LINE shows it (it looks like hex, but
// LINE and @line/bot-sdk never decode it). No timestamp: redeliveries are recognised later from
// each event's webhookEventId.
import { createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { decodeBase64Signature } from './base64.ts'
import { fail } from './reasons.ts'
import { readSignature, trySecrets, utf8Key } from './signed-headers.ts'
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

  const signature = readSignature(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER, (v) => decodeBase64Signature(v, SIGNATURE_BYTES))
  if (!signature.ok) return fail(signature.reason)

  const result = trySecrets(secrets, utf8Key, (key) => timingSafeEqual(createHmac('sha256', key).update(rawBody).digest(), signature.value))
  return result === 'ok' ? { ok: true, replayKey: null } : fail(result)
}

export const lineVerifier: Verifier = { verify }
