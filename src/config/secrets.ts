// Secret strength is judged on the key bytes the scheme actually uses, so a base64 secret is
// measured after decoding, not by its text length, and a secret the verifier could never use is a
// config error rather than a caller that silently rejects everything.
import { isCurvePoint, parseEd25519PublicKey } from '../verify/ed25519-public-key.ts'
import { decodeStandardWebhooksSecret } from '../verify/standard-webhooks-secret.ts'
import { decodeTeamsSecret } from '../verify/teams-secret.ts'
import { isTelegramSecretToken } from '../verify/telegram-secret.ts'

export const MIN_SECRET_BYTES = 16

const HMAC_FIX = 'generate one with: openssl rand -hex 32'
const STANDARD_WEBHOOKS_FIX = 'generate one with: echo "whsec_$(openssl rand -base64 32)"'
const TEAMS_FIX = 'use the security token Teams showed when the outgoing webhook was created (base64 of 32 bytes)'
const DISCORD_FIX = 'use the application\'s Public Key from the Discord developer portal (General Information)'
const TELEGRAM_FIX = 'generate one with: openssl rand -hex 32, and pass the same value as secret_token to setWebhook'

// Secrets the platform issues: the hint says where to copy them from, since generating one would not work.
const PLATFORM_TEXT_FIX: ReadonlyMap<string, string> = new Map([
  ['github', `${HMAC_FIX}, and enter the same value as the webhook's secret in GitHub`],
  ['slack', 'use the Signing Secret from the Slack app\'s Basic Information page'],
  ['twilio', 'use the account\'s Auth Token from the Twilio console'],
  ['line', 'use the Channel secret from the LINE Developers console (Basic settings)']
])

type SecretResult = { key: Buffer } | { error: string }

function textKey (secret: string, fix: string): SecretResult {
  const key = Buffer.from(secret, 'utf8')
  if (key.length < MIN_SECRET_BYTES) {
    return { error: `is ${key.length} bytes, at least ${MIN_SECRET_BYTES} are required: ${fix}` }
  }
  return { key }
}

function standardWebhooksKey (secret: string): SecretResult {
  // The verifier's own decoder, so a secret that loads is exactly one that can verify.
  const key = decodeStandardWebhooksSecret(secret)
  if (key === null) return { error: `is not "whsec_" followed by base64: ${STANDARD_WEBHOOKS_FIX}` }
  if (key.length < MIN_SECRET_BYTES) {
    return { error: `decodes to ${key.length} bytes, at least ${MIN_SECRET_BYTES} are required: ${STANDARD_WEBHOOKS_FIX}` }
  }
  return { key }
}

function teamsKey (secret: string): SecretResult {
  const key = decodeTeamsSecret(secret)
  if (key === null) return { error: `is not base64: ${TEAMS_FIX}` }
  if (key.length < MIN_SECRET_BYTES) {
    return { error: `decodes to ${key.length} bytes, at least ${MIN_SECRET_BYTES} are required: ${TEAMS_FIX}` }
  }
  return { key }
}

function discordKey (secret: string): SecretResult {
  const parsed = parseEd25519PublicKey(secret)
  if (parsed.ok) {
    if (isCurvePoint(parsed.raw)) return { key: parsed.raw }
    return { error: `is not a valid Ed25519 public key (a digit is probably wrong): ${DISCORD_FIX}` }
  }
  if (parsed.problem === 'small_order') return { error: `is a placeholder, not a usable Ed25519 public key: ${DISCORD_FIX}` }
  return { error: `is not 64 hex digits (a 32-byte Ed25519 public key): ${DISCORD_FIX}` }
}

function telegramKey (secret: string): SecretResult {
  if (!isTelegramSecretToken(secret)) {
    return { error: `must be 1 to 256 characters of A-Z, a-z, 0-9, "_" and "-" (Telegram's secret_token rule): ${TELEGRAM_FIX}` }
  }
  if (secret.length < MIN_SECRET_BYTES) {
    return { error: `is ${secret.length} characters, at least ${MIN_SECRET_BYTES} are required: ${TELEGRAM_FIX}` }
  }
  return { key: Buffer.from(secret, 'utf8') }
}

/**
 * The key bytes a caller secret stands for (used to spot two callers sharing one secret), or why
 * the secret is unusable for its scheme. Messages never contain the secret.
 */
export function secretKey (scheme: string, secret: string): SecretResult {
  switch (scheme) {
    case 'standard-webhooks':
      return standardWebhooksKey(secret)
    case 'teams':
      return teamsKey(secret)
    case 'discord':
      return discordKey(secret)
    case 'telegram':
      return telegramKey(secret)
    default:
      return textKey(secret, PLATFORM_TEXT_FIX.get(scheme) ?? HMAC_FIX)
  }
}

/** Same rule for the admin bearer token, which is compared as text. */
export function adminTokenProblem (token: string): string | null {
  const bytes = Buffer.byteLength(token, 'utf8')
  return bytes < MIN_SECRET_BYTES ? `admin_token is ${bytes} bytes, at least ${MIN_SECRET_BYTES} are required: ${HMAC_FIX}` : null
}
