// The two steps every scheme repeats: reading one signature or timestamp header strictly (present,
// single, bounded, well-formed) and trying each configured secret in turn (rotation). Kept in one
// place so every scheme refuses the same shapes with the same reasons.
import type { IncomingHttpHeaders } from 'node:http'
import { readHeader } from './read-header.ts'
import type { VerifyReason } from './reasons.ts'
import { parseTimestamp } from './timestamp.ts'

export type Read<T> = { ok: true, value: T } | { ok: false, reason: VerifyReason }

/** The signature header decoded by `decode` (null: malformed). */
export function readSignature<T> (headers: IncomingHttpHeaders, name: string, maxLength: number, decode: (value: string) => T | null): Read<T> {
  const header = readHeader(headers, name, maxLength)
  if (!header.ok) return header
  if (header.value === undefined) return { ok: false, reason: 'missing_signature' }
  const value = decode(header.value)
  return value === null ? { ok: false, reason: 'malformed_signature' } : { ok: true, value }
}

/** The timestamp header as sent (its bytes are what is signed) and its value in seconds. */
export function readTimestamp (headers: IncomingHttpHeaders, name: string, maxLength: number): Read<{ text: string, seconds: number }> {
  const header = readHeader(headers, name, maxLength)
  if (!header.ok) return header
  if (header.value === undefined) return { ok: false, reason: 'missing_timestamp' }
  const seconds = parseTimestamp(header.value)
  return seconds === null ? { ok: false, reason: 'malformed_timestamp' } : { ok: true, value: { text: header.value, seconds } }
}

/**
 * Tries every secret that makes a key (`toKey` null: unusable, e.g. empty — a key anyone could sign
 * with never verifies, whatever the config says) until `matches` says one signed the request.
 */
export function trySecrets<K> (secrets: readonly unknown[], toKey: (secret: string) => K | null, matches: (key: K) => boolean): 'ok' | 'no_usable_secret' | 'signature_mismatch' {
  let usable = 0
  for (const secret of secrets) {
    if (typeof secret !== 'string') continue
    const key = toKey(secret)
    if (key === null) continue
    usable++
    if (matches(key)) return 'ok'
  }
  return usable === 0 ? 'no_usable_secret' : 'signature_mismatch'
}

/** The secret itself as an HMAC key, unless it is empty. */
export function utf8Key (secret: string): string | null {
  return secret.length > 0 ? secret : null
}
