// Shape checks for the values a Teams activity hands us. Bot Framework ids (`29:…` users,
// `19:…@thread.skype;messageid=…` conversations) are printable and well under 256 characters;
// longer ones, or ones with whitespace or control characters, were not sent by Teams.

const MAX_ID_CHARS = 256
const MAX_NAME_CHARS = 256
const UNPRINTABLE = /[\s\p{Cc}]/u
const CONTROL = /\p{Cc}/u

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function asId (value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_CHARS) return null
  return UNPRINTABLE.test(value) ? null : value
}

/** A display name: printable text; `undefined` when it is not one. Absent or null is `null`. */
export function asDisplayName (value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length > MAX_NAME_CHARS || CONTROL.test(value)) return undefined
  return value.trim() === '' ? null : value
}
