// Scheme `discord` (contract §4): `X-Signature-Ed25519` (hex) is an Ed25519 signature of
// `<X-Signature-Timestamp><raw body>` under the application's public key (the configured secret).
// The timestamp is signed, so it is held to the caller's window in both directions; Discord
// publishes no tolerance of its own.
import { createHash, verify as verifySignature } from 'node:crypto'
import type { Verifier, VerifyInput, VerifyResult } from './verifier.ts'
import { checkInput } from './check-input.ts'
import { parseEd25519PublicKey } from './ed25519-public-key.ts'
import { fail } from './reasons.ts'
import { readHeader } from './read-header.ts'
import { DISCORD_HEADERS } from './scheme-headers.ts'
import { isWithinWindow, parseTimestamp } from './timestamp.ts'

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

  const timestampHeader = readHeader(headers, TIMESTAMP_HEADER, MAX_TIMESTAMP_HEADER)
  if (!timestampHeader.ok) return fail(timestampHeader.reason)
  if (timestampHeader.value === undefined) return fail('missing_timestamp')
  const timestamp = timestampHeader.value
  const seconds = parseTimestamp(timestamp)
  if (seconds === null) return fail('malformed_timestamp')

  const signatureHeader = readHeader(headers, SIGNATURE_HEADER, MAX_SIGNATURE_HEADER)
  if (!signatureHeader.ok) return fail(signatureHeader.reason)
  if (signatureHeader.value === undefined) return fail('missing_signature')
  if (!SIGNATURE.test(signatureHeader.value)) return fail('malformed_signature')
  const provided = Buffer.from(signatureHeader.value, 'hex')

  if (!isWithinWindow(seconds, now, maxAge)) return fail('timestamp_out_of_window')

  // Ed25519 verification is a public-key check, not a comparison with a secret: its timing reveals
  // nothing that the public key does not.
  const message = Buffer.concat([Buffer.from(timestamp), rawBody])
  let usable = 0
  for (const secret of secrets) {
    const publicKey = parseEd25519PublicKey(secret)
    if (!publicKey.ok) continue
    usable++
    if (verifySignature(null, message, publicKey.key, provided)) {
      // Keyed on exactly the signed bytes: an exact replay inside the window maps to the same key.
      return { ok: true, replayKey: 'discord:' + createHash('sha256').update(message).digest('hex') }
    }
  }
  return fail(usable === 0 ? 'no_usable_secret' : 'signature_mismatch')
}

export const discordVerifier: Verifier = { verify }
