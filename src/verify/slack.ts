// Scheme `slack`: `X-Slack-Signature: v0=<hex>` = HMAC-SHA256(signing secret,
// `v0:<X-Slack-Request-Timestamp>:<raw body>`). Slack asks receivers to refuse timestamps more than
// five minutes away; the window is the caller's max_age, in both directions.
import { createHash, createHmac } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { fail } from './reasons.ts'
import { readSignature, readTimestamp, trySecrets, utf8Key } from './signed-headers.ts'
import { SLACK_HEADERS } from './scheme-headers.ts'
import { isWithinWindow } from './timestamp.ts'
import { timingSafeEqual } from './timing-safe-equal.ts'

// Lower-case hex only, as Slack sends it and as Bolt's string comparison requires.
const SIGNATURE = /^v0=([0-9a-f]{64})$/
const MAX_SIGNATURE_HEADER = 256
const MAX_TIMESTAMP_HEADER = 64

const SIGNATURE_HEADER = SLACK_HEADERS.signature.toLowerCase()
const TIMESTAMP_HEADER = SLACK_HEADERS.timestamp.toLowerCase()

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { rawBody, headers, secrets, maxAge, now } = input

  const stamp = readTimestamp(headers, TIMESTAMP_HEADER, MAX_TIMESTAMP_HEADER)
  if (!stamp.ok) return fail(stamp.reason)
  const { text: timestamp, seconds } = stamp.value

  const signature = readSignature(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER, (v) => {
    const match = SIGNATURE.exec(v)
    return match === null ? null : Buffer.from(match[1] as string, 'hex')
  })
  if (!signature.ok) return fail(signature.reason)
  const provided = signature.value

  // Slack always signs a timestamp: max_age 0 is a zero-second window, not "no timestamp".
  if (!isWithinWindow(seconds, now, maxAge)) return fail('timestamp_out_of_window')

  // The timestamp header bytes are signed as received, never a re-serialised number.
  const result = trySecrets(secrets, utf8Key, (key) =>
    timingSafeEqual(createHmac('sha256', key).update('v0:').update(timestamp).update(':').update(rawBody).digest(), provided))
  if (result !== 'ok') return fail(result)
  // The same signed bytes give the same key, so an exact replay inside the window is caught.
  // The `:` keeps `<ts><body>` from splitting two ways, as it does in the signed string.
  return { ok: true, replayKey: 'slack:' + createHash('sha256').update(timestamp).update(':').update(rawBody).digest('hex') }
}

export const slackVerifier: Verifier = { verify }
