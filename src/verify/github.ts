// Scheme `github`: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, raw body).
// GitHub signs no timestamp, so there is no replay window here; redeliveries are recognised later
// from the payload.
import { createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { fail } from './reasons.ts'
import { readSignature, trySecrets, utf8Key } from './signed-headers.ts'
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

  const signature = readSignature(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER, (v) => {
    const match = SIGNATURE.exec(v)
    return match === null ? null : Buffer.from(match[1] as string, 'hex')
  })
  if (!signature.ok) return fail(signature.reason)

  const result = trySecrets(secrets, utf8Key, (key) => timingSafeEqual(createHmac('sha256', key).update(rawBody).digest(), signature.value))
  return result === 'ok' ? { ok: true, replayKey: null } : fail(result)
}

export const githubVerifier: Verifier = { verify }
