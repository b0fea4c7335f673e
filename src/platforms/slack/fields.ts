// Shape checks for the values Slack hands us. Slack's ids are short and printable, so anything
// longer than 256 characters or holding whitespace or control characters was not sent by Slack
// and is refused rather than stored, audited and matched against `users`.

const MAX_ID_CHARS = 256
const UNPRINTABLE = /[\s\p{Cc}]/u
// A message timestamp is Slack's message id within a channel: seconds, a dot, microseconds.
const MESSAGE_TS = /^\d{1,12}\.\d{1,9}$/

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function asId (value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_CHARS) return null
  return UNPRINTABLE.test(value) ? null : value
}

export function asMessageTs (value: unknown): string | null {
  return typeof value === 'string' && MESSAGE_TS.test(value) ? value : null
}
