// Telegram's setWebhook accepts a secret_token of 1–256 characters from `A-Z a-z 0-9 _ -` and
// sends it back verbatim, so a configured secret outside that grammar can never be matched.
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/

export const MAX_TELEGRAM_SECRET_LENGTH = 256

export function isTelegramSecretToken (value: unknown): value is string {
  return typeof value === 'string' && SECRET_TOKEN.test(value)
}
