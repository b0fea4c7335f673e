// Reads exactly one header value, refusing every shape an attacker can put there other than a
// single bounded string. Node lower-cases header names, but callers (tests, the CLI, other
// adapters) may not, so names are matched case-insensitively and two spellings of the same name
// count as a duplicate rather than "first one wins".
//
// Node itself joins repeated custom headers with ", " (so "sha256=a, sha256=b" reaches us as one
// string); every scheme's strict grammar rejects that joined form as malformed.
import type { IncomingHttpHeaders } from 'node:http'
import type { VerifyReason } from './reasons.ts'

export type HeaderRead =
  /** `value` undefined: absent or empty (an empty header carries nothing to verify). */
  | { ok: true, value: string | undefined }
  | { ok: false, reason: VerifyReason }

/** @param name lower-case header name. @param maxLength cap checked before any parsing. */
export function readHeader (headers: IncomingHttpHeaders, name: string, maxLength: number): HeaderRead {
  let found: unknown
  let matches = 0
  for (const key of Object.keys(headers)) {
    if (key.length === name.length && key.toLowerCase() === name) {
      matches++
      found = headers[key]
    }
  }
  if (matches > 1 || Array.isArray(found)) return { ok: false, reason: 'duplicate_header' }
  if (found === undefined || found === '') return { ok: true, value: undefined }
  if (typeof found !== 'string') return { ok: false, reason: 'malformed_header' }
  if (found.length > maxLength) return { ok: false, reason: 'header_too_long' }
  return { ok: true, value: found }
}
