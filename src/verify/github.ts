// Scheme `github` (contract §4): `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, raw body).
// GitHub signs no timestamp, so there is no replay window here; redeliveries are recognised later
// from the payload.
import { createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { fail } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { GITHUB_HEADERS } from './scheme-headers.ts'
import { timingSafeEqual } from './timing-safe-equal.ts'

// Lower-case hex only: GitHub always sends it, and @octokit/webhooks-methods compares the header
// as a string, so an upper-case digest is one the official verifier would refuse too.
const SIGNATURE = /^sha256=([0-9a-f]{64})$/
// A valid header is 71 bytes.
const MAX_SIGNATURE_HEADER = 256

const SIGNATURE_HEADER = GITHUB_HEADERS.signature.toLowerCase()

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { rawBody, headers, secrets } = input

  const signatureHeader = readHeader(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER)
  if (!signatureHeader.ok) return fail(signatureHeader.reason)
  if (signatureHeader.value === undefined) return fail('missing_signature')
  const match = SIGNATURE.exec(signatureHeader.value)
  if (match === null) return fail('malformed_signature')
  const provided = Buffer.from(match[1] as string, 'hex')

  let usable = 0
  for (const secret of secrets) {
    // An empty key is one anyone can sign with; it never verifies, whatever the config says.
    if (typeof secret !== 'string' || secret.length === 0) continue
    usable++
    if (timingSafeEqual(createHmac('sha256', secret).update(rawBody).digest(), provided)) {
      return { ok: true, replayKey: null }
    }
  }
  return fail(usable === 0 ? 'no_usable_secret' : 'signature_mismatch')
}

export const githubVerifier: Verifier = { verify }
