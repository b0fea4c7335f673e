// Scheme `teams`, Teams outgoing webhooks: `Authorization: HMAC <base64>` =
// base64 HMAC-SHA256(base64-decode(security token), raw body). No timestamp: redeliveries are
// recognised later from the activity id.
import { createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { decodeBase64Signature } from './base64.ts'
import { fail } from './reasons.ts'
import { readSignature, trySecrets } from './signed-headers.ts'
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

  const signature = readSignature(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER, (v) => {
    const match = AUTHORIZATION.exec(v)
    return match === null ? null : decodeBase64Signature(match[1] as string, SIGNATURE_BYTES)
  })
  if (!signature.ok) return fail(signature.reason)

  const result = trySecrets(secrets, decodeTeamsSecret, (key) => timingSafeEqual(createHmac('sha256', key).update(rawBody).digest(), signature.value))
  return result === 'ok' ? { ok: true, replayKey: null } : fail(result)
}

export const teamsVerifier: Verifier = { verify }
