// Field checks for LINE payloads. Every value hookgate acts on comes through one of these, so a
// signed but malformed payload is refused instead of reaching the policy half-understood.

/** LINE ids (user, group, room, webhook event, reply token) are short ASCII; 256 is generous. */
const ID = /^[\x21-\x7e]{1,256}$/

export type Json = { [key: string]: unknown }

export function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function isId (value: unknown): value is string {
  return typeof value === 'string' && ID.test(value)
}

export function isIndex (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
