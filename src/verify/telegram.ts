// Scheme `telegram`: nothing is signed; every request carries
// `X-Telegram-Bot-Api-Secret-Token`, the secret_token given to setWebhook. It is compared with each
// configured secret through timingSafeEqual, which compares fixed-length HMAC digests of both
// sides, so neither the position of a difference nor the secret's length leaks through timing.
// No timestamp: redeliveries are recognised later from update_id.
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { fail } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { TELEGRAM_HEADERS } from './scheme-headers.ts'
import { isTelegramSecretToken, MAX_TELEGRAM_SECRET_LENGTH } from './telegram-secret.ts'
import { timingSafeEqual } from './timing-safe-equal.ts'

const TOKEN_HEADER = TELEGRAM_HEADERS.secretToken.toLowerCase()

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { headers, secrets } = input

  const tokenHeader = readHeader(headers, TOKEN_HEADER, MAX_TELEGRAM_SECRET_LENGTH)
  if (!tokenHeader.ok) return fail(tokenHeader.reason)
  if (tokenHeader.value === undefined) return fail('missing_signature')
  const provided = tokenHeader.value
  if (!isTelegramSecretToken(provided)) return fail('malformed_signature')

  let usable = 0
  for (const secret of secrets) {
    if (!isTelegramSecretToken(secret)) continue
    usable++
    if (timingSafeEqual(secret, provided)) return { ok: true, replayKey: null }
  }
  return fail(usable === 0 ? 'no_usable_secret' : 'signature_mismatch')
}

export const telegramVerifier: Verifier = { verify }
