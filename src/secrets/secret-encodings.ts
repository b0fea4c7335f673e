// The forms a secret takes when an agent (or a library) prints it: as it is, inside a JSON string,
// URL-encoded, as hex and as base64. Each is searched for as a literal, so this list is what
// "the secret never leaves the gateway" means in practice.
import { base64Middles, toBase64Url } from './base64-middles.ts'

/** Every distinct literal form of `secret`; the raw value first. */
export function secretEncodings (secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const hex = bytes.toString('hex')
  const middles = base64Middles(bytes)
  const forms = [
    secret,
    jsonEscaped(secret),
    jsonAsciiEscaped(secret),
    uriComponent(secret),
    formEncoded(secret),
    hex,
    hex.toUpperCase(),
    // Whole, padding included, so a secret encoded on its own leaves no stray characters behind.
    bytes.toString('base64'),
    bytes.toString('base64url'),
    ...middles,
    ...middles.map(toBase64Url)
  ]
  return [...new Set(forms.filter((form) => form !== ''))]
}

/** As it appears between the quotes of a JSON string (JSON.stringify, Node, most libraries). */
function jsonEscaped (secret: string): string {
  return JSON.stringify(secret).slice(1, -1)
}

/** JSON with everything outside ASCII as \uXXXX, as Python's json.dumps writes it by default. */
function jsonAsciiEscaped (secret: string): string {
  return jsonEscaped(secret).replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function uriComponent (secret: string): string {
  // A lone surrogate cannot be URL-encoded; such a secret cannot appear URL-encoded either.
  try { return encodeURIComponent(secret) } catch { return '' }
}

/** application/x-www-form-urlencoded (spaces as `+`, `*` kept), as URLSearchParams and HTML forms write it. */
function formEncoded (secret: string): string {
  return new URLSearchParams([['', secret]]).toString().slice(1)
}
