// Field checks for Discord interactions. Every value hookgate acts on comes through one of these, so
// a signed but malformed payload is refused instead of reaching the policy half-understood.

export type Json = { [key: string]: unknown }

/** Discord ids are snowflakes: 64-bit integers written as decimal strings. */
const SNOWFLAKE = /^[0-9]{1,20}$/

/**
 * Interaction tokens are opaque base64-like strings of a few hundred characters. The token goes
 * into a URL path, so only visible ASCII is taken (and it is percent-encoded there anyway).
 */
const TOKEN = /^[\x21-\x7e]{1,1024}$/

export function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isSnowflake (value: unknown): value is string {
  return typeof value === 'string' && SNOWFLAKE.test(value)
}

export function isInteractionToken (value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value)
}
