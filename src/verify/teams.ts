// Scheme `teams` (contract §4), Teams outgoing webhooks: `Authorization: HMAC <base64>` =
// base64 HMAC-SHA256(base64-decode(security token), raw body). No timestamp: redeliveries are
// recognised later from the activity id.
import { createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { decodeBase64Signature } from './base64.ts'
import { fail } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { TEAMS_HEADERS } from './scheme-headers.ts'
import { decodeTeamsSecret } from './teams-secret.ts'
import { timingSafeEqual } from './timing-safe-equal.ts'

// Exactly the form Teams sends: the `HMAC` scheme word, one space, 44 base64 characters.
const AUTHORIZATION = /^HMAC ([^ ]+)$/
// A valid header is 49 bytes.
const MAX_SIGNATURE_HEADER = 256
const SIGNATURE_BYTES = 32

const SIGNATURE_HEADER = TEAMS_HEADERS.signature.toLowerCase()

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { rawBody, headers, secrets } = input

  const signatureHeader = readHeader(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER)
  if (!signatureHeader.ok) return fail(signatureHeader.reason)
  if (signatureHeader.value === undefined) return fail('missing_signature')
  const match = AUTHORIZATION.exec(signatureHeader.value)
  if (match === null) return fail('malformed_signature')
  const provided = decodeBase64Signature(match[1] as string, SIGNATURE_BYTES)
  if (provided === null) return fail('malformed_signature')

  let usable = 0
  for (const secret of secrets) {
    const key = decodeTeamsSecret(secret)
    if (key === null) continue
    usable++
    if (timingSafeEqual(createHmac('sha256', key).update(rawBody).digest(), provided)) {
      return { ok: true, replayKey: null }
    }
  }
  return fail(usable === 0 ? 'no_usable_secret' : 'signature_mismatch')
}

export const teamsVerifier: Verifier = { verify }
