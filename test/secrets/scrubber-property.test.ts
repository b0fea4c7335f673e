// Properties: any secret, embedded anywhere in arbitrary text in any of the promised encodings,
// never survives scrubbing; text without secrets is never changed.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SecretScrubber } from '../../src/secrets/secret-scrubber.ts'

const LINE_BREAKS = /[\r\n]+/g

/** At least 8 bytes besides line breaks: the scrubber's documented minimum. */
const secretArb = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 8, maxLength: 48 }),
  fc.string({ unit: 'grapheme', minLength: 4, maxLength: 32 }),
  fc.string({ unit: 'binary', minLength: 4, maxLength: 32 }),
  fc.uint8Array({ minLength: 8, maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'))
).filter((s) => Buffer.byteLength(s.replace(LINE_BREAKS, '')) >= 8 && !s.includes('[redacted]'))

const textArb = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('', '\n', 'x\r\n', '=='))

type Encoding = (s: string) => string | null
const ENCODINGS: Record<string, Encoding> = {
  raw: (s) => s,
  base64: (s) => Buffer.from(s).toString('base64'),
  base64url: (s) => Buffer.from(s).toString('base64url'),
  hex: (s) => Buffer.from(s).toString('hex'),
  HEX: (s) => Buffer.from(s).toString('hex').toUpperCase(),
  url: (s) => { try { return encodeURIComponent(s) } catch { return null } },
  json: (s) => JSON.stringify(s).slice(1, -1)
}

/** Every way the encoded secret could still be read: as written, or with its line breaks taken out. */
function survives (out: string, encoded: string): boolean {
  const flat = encoded.replace(LINE_BREAKS, '')
  return out.includes(encoded) || out.replace(LINE_BREAKS, '').includes(flat)
}

/** Whether the secret's bytes can be decoded from some run of base64 characters left in `out`, at any offset. */
function decodable (out: string, secret: string): boolean {
  const bytes = Buffer.from(secret)
  for (const run of out.match(/[A-Za-z0-9+/_-]+/g) ?? []) {
    for (let offset = 0; offset < 4; offset++) {
      if (Buffer.from(run.slice(offset), 'base64').includes(bytes)) return true
    }
  }
  return false
}

describe('secret scrubbing properties', () => {
  it('a secret embedded anywhere, in any encoding, never survives', () => {
    fc.assert(fc.property(secretArb, textArb, textArb, fc.constantFrom(...Object.keys(ENCODINGS)), (secret, before, after, name) => {
      const encoded = (ENCODINGS[name] as Encoding)(secret)
      fc.pre(encoded !== null)
      const out = new SecretScrubber([secret]).scrub(`${before}${encoded}${after}`)
      expect(survives(out, encoded as string)).toBe(false)
    }), { numRuns: 2000 })
  })

  it('a secret inside a longer base64 or base64url blob, at any alignment, cannot be decoded from what is left', () => {
    const blob = fc.tuple(secretArb, fc.uint8Array({ maxLength: 7 }), fc.uint8Array({ maxLength: 7 }), fc.boolean(), textArb, textArb)
    fc.assert(fc.property(blob, ([secret, lead, trail, url, before, after]) => {
      const bytes = Buffer.concat([lead, Buffer.from(secret), trail])
      const encoded = bytes.toString(url ? 'base64url' : 'base64')
      const out = new SecretScrubber([secret]).scrub(`${before} ${encoded} ${after}`)
      expect(decodable(out, secret)).toBe(false)
    }), { numRuns: 2000 })
  })

  it('a secret cut in two by a line break never survives whole', () => {
    fc.assert(fc.property(secretArb, fc.nat(), fc.constantFrom('\n', '\r\n'), textArb, textArb, (secret, at, br, before, after) => {
      const cut = 1 + (at % Math.max(1, secret.length - 1))
      const text = `${before}${secret.slice(0, cut)}${br}${secret.slice(cut)}${after}`
      const out = new SecretScrubber([secret]).scrub(text)
      expect(survives(out, secret)).toBe(false)
    }), { numRuns: 1000 })
  })

  it('leaves text that holds no secret unchanged', () => {
    fc.assert(fc.property(fc.array(secretArb, { minLength: 1, maxLength: 5 }), textArb, (secrets, text) => {
      const scrubber = new SecretScrubber(secrets)
      // Only text in which no encoding of any secret occurs (line breaks aside) is meant to stay as it is.
      const flat = text.replace(LINE_BREAKS, '')
      const contains = secrets.some((s) => Object.values(ENCODINGS).some((e) => {
        const enc = e(s)
        return enc !== null && flat.includes(enc.replace(LINE_BREAKS, '').slice(0, 8))
      }))
      fc.pre(!contains)
      expect(scrubber.scrub(text)).toBe(text)
    }), { numRuns: 1000 })
  })
})
