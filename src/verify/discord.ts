// Scheme `discord`: `X-Signature-Ed25519` (hex) is an Ed25519 signature of
// `<X-Signature-Timestamp><raw body>` under the application's public key (the configured secret).
// The timestamp is signed, so it is held to the caller's window in both directions; Discord
// publishes no tolerance of its own.
import { createHash, verify as verifySignature } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { parseEd25519PublicKey } from './ed25519-public-key.ts'
import { fail } from './reasons.ts'
import { readSignature, readTimestamp, trySecrets } from './signed-headers.ts'
import { DISCORD_HEADERS } from './scheme-headers.ts'
import { isWithinWindow } from './timestamp.ts'

// 64 signature bytes in hex. Either case: discord-interactions decodes hex the same way, and the
// replay key below comes from the signed message, not from the header's spelling.
const SIGNATURE = /^[0-9a-fA-F]{128}$/
const MAX_SIGNATURE_HEADER = 256
const MAX_TIMESTAMP_HEADER = 64

const SIGNATURE_HEADER = DISCORD_HEADERS.signature.toLowerCase()
const TIMESTAMP_HEADER = DISCORD_HEADERS.timestamp.toLowerCase()

function verify (input: VerifyInput): VerifyResult {
  const invalid = checkInput(input)
  if (invalid !== null) return fail(invalid)
  const { rawBody, headers, secrets, maxAge, now } = input

  const stamp = readTimestamp(headers, TIMESTAMP_HEADER, MAX_TIMESTAMP_HEADER)
  if (!stamp.ok) return fail(stamp.reason)
  const { text: timestamp, seconds } = stamp.value

  const signature = readSignature(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER, (v) => SIGNATURE.test(v) ? Buffer.from(v, 'hex') : null)
  if (!signature.ok) return fail(signature.reason)
  const provided = signature.value

  if (!isWithinWindow(seconds, now, maxAge)) return fail('timestamp_out_of_window')

  // Ed25519 verification is a public-key check, not a comparison with a secret: its timing reveals
  // nothing that the public key does not.
  const message = Buffer.concat([Buffer.from(timestamp), rawBody])
  const result = trySecrets(secrets, (secret) => {
    const publicKey = parseEd25519PublicKey(secret)
    return publicKey.ok ? publicKey.key : null
  }, (key) => verifySignature(null, message, key, provided))
  if (result !== 'ok') return fail(result)
  // Keyed on exactly the signed bytes: an exact replay inside the window maps to the same key.
  return { ok: true, replayKey: 'discord:' + createHash('sha256').update(message).digest('hex') }
}

export const discordVerifier: Verifier = { verify }
