// Scheme `twilio`: `X-Twilio-Signature` = base64 HMAC-SHA1(auth token, data), where
// data is the URL Twilio requested followed by, for form bodies, the sorted parameters. JSON bodies
// are not signed directly: Twilio adds `bodySHA256=<hex SHA-256 of the body>` to the URL, signs
// that URL alone, and the body must hash to it. Nothing carries a timestamp; redeliveries are
// recognised later from MessageSid.
import { createHash, createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { decodeBase64Signature } from './base64.ts'
import { fail, type VerifyReason } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { TWILIO_HEADERS } from './scheme-headers.ts'
import { timingSafeEqual } from './timing-safe-equal.ts'
import { twilioSignedParams } from './twilio-params.ts'
import { twilioUrlCandidates } from './twilio-url.ts'

// A valid header is 28 bytes.
const MAX_SIGNATURE_HEADER = 256
const MAX_CONTENT_TYPE_HEADER = 256
const SIGNATURE_BYTES = 20
const BODY_HASH_PARAM = 'bodySHA256'
// Lower-case hex, as Twilio sends it and as twilio-node compares it (as a string).
const BODY_HASH = /^[0-9a-f]{64}$/

const SIGNATURE_HEADER = TWILIO_HEADERS.signature.toLowerCase()
const CONTENT_TYPE_HEADER = TWILIO_HEADERS.contentType.toLowerCase()

type Mode = 'form' | 'json'

function modeOf (contentType: string | undefined): Mode | null {
  if (contentType === undefined) return null
  const mediaType = (contentType.split(';', 1)[0] as string).trim().toLowerCase()
  if (mediaType === 'application/x-www-form-urlencoded') return 'form'
  if (mediaType === 'application/json') return 'json'
  return null
}

type BodyHash = { ok: true, hash: string | null } | { ok: false, reason: VerifyReason }

/**
 * The `bodySHA256` the URL names. Wherever there is one, the body must match it, whatever the
 * content type: otherwise a captured JSON delivery's signature (over the URL alone) would also
 * verify an empty form body sent to the same URL.
 */
function readBodyHash (url: string, mode: Mode): BodyHash {
  const hashes = new URL(url).searchParams.getAll(BODY_HASH_PARAM)
  if (hashes.length === 0) return mode === 'json' ? { ok: false, reason: 'missing_body_hash' } : { ok: true, hash: null }
  const hash = hashes[0] as string
  if (hashes.length > 1 || !BODY_HASH.test(hash)) return { ok: false, reason: 'malformed_body_hash' }
  return { ok: true, hash }
}

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  // The signed URL is assembled by our own route; without it nothing can be checked.
  if (typeof input.url !== 'string') return fail('invalid_verifier_input')
  const { rawBody, headers, secrets, url } = input

  const signatureHeader = readHeader(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER)
  if (!signatureHeader.ok) return fail(signatureHeader.reason)
  if (signatureHeader.value === undefined) return fail('missing_signature')
  const provided = decodeBase64Signature(signatureHeader.value, SIGNATURE_BYTES)
  if (provided === null) return fail('malformed_signature')

  const contentType = readHeader(headers, CONTENT_TYPE_HEADER, MAX_CONTENT_TYPE_HEADER)
  if (!contentType.ok) return fail(contentType.reason)
  const mode = modeOf(contentType.value)
  if (mode === null) return fail('unsupported_content_type')

  const candidates = twilioUrlCandidates(url)
  if (candidates === null) return fail('malformed_url')
  const bodyHash = readBodyHash(url, mode)
  if (!bodyHash.ok) return fail(bodyHash.reason)
  // JSON bodies are covered only through the hash in the URL; form bodies through their parameters.
  const params = mode === 'form' ? twilioSignedParams(rawBody) : ''

  let usable = 0
  let verified = false
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) continue
    usable++
    for (const candidate of candidates) {
      // One string, as twilio-node builds it, so the UTF-8 encoding is the same byte for byte.
      if (timingSafeEqual(createHmac('sha1', secret).update(candidate + params).digest(), provided)) verified = true
    }
    if (verified) break
  }
  if (!verified) return fail(usable === 0 ? 'no_usable_secret' : 'signature_mismatch')

  // Compared after the signature, so this reason means "a URL Twilio signed, with another body".
  if (bodyHash.hash !== null && !timingSafeEqual(createHash('sha256').update(rawBody).digest('hex'), bodyHash.hash)) {
    return fail('body_hash_mismatch')
  }
  return { ok: true, replayKey: null }
}

export const twilioVerifier: Verifier = { verify }
