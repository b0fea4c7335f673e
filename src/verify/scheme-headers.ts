// Header names of every scheme, shared by the verifiers and by sign.ts so the
// producer and the consumer cannot drift apart. Spelled as the contract documents them; lookups
// are case-insensitive (HTTP header names are).
export const HMAC_SHA256_HEADERS = {
  signature: 'X-Webhook-Signature',
  timestamp: 'X-Webhook-Timestamp'
} as const

export const STANDARD_WEBHOOKS_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature'
} as const

export const GITHUB_HEADERS = {
  signature: 'X-Hub-Signature-256'
} as const

export const SLACK_HEADERS = {
  signature: 'X-Slack-Signature',
  timestamp: 'X-Slack-Request-Timestamp'
} as const

export const TWILIO_HEADERS = {
  signature: 'X-Twilio-Signature',
  // Not signed, but it decides which bytes are: form parameters or the body's SHA-256 in the URL.
  contentType: 'Content-Type'
} as const

export const LINE_HEADERS = {
  signature: 'X-Line-Signature'
} as const

export const TEAMS_HEADERS = {
  signature: 'Authorization'
} as const

export const TELEGRAM_HEADERS = {
  secretToken: 'X-Telegram-Bot-Api-Secret-Token'
} as const

export const DISCORD_HEADERS = {
  signature: 'X-Signature-Ed25519',
  timestamp: 'X-Signature-Timestamp'
} as const

/**
 * Lower-case names of the headers that carry a signature or, for Telegram, the secret itself: with
 * the body they replay a request, so they must never reach a log.
 */
export const CREDENTIAL_HEADERS: readonly string[] = [
  HMAC_SHA256_HEADERS.signature,
  STANDARD_WEBHOOKS_HEADERS.signature,
  GITHUB_HEADERS.signature,
  SLACK_HEADERS.signature,
  TWILIO_HEADERS.signature,
  LINE_HEADERS.signature,
  TEAMS_HEADERS.signature,
  TELEGRAM_HEADERS.secretToken,
  DISCORD_HEADERS.signature
].map((name) => name.toLowerCase())
