// Field checks for Telegram payloads. Telegram ids are integers of up to 52 bits (supergroup chat
// ids are negative): anything that is not an exact JavaScript integer lost precision on the way
// and would address the wrong chat, so it is refused rather than rounded.

export type Json = { [key: string]: unknown }

export function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A chat or user id: any non-zero exact integer. */
export function isChatId (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value !== 0
}

/** A message, topic or update id: a positive exact integer. */
export function isMessageId (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}
