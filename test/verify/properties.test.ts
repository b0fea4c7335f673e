// Property tests: round trip, single-bit mutation, key separation, rotation,
// differential agreement with the official SDK, and "never throws" for arbitrary header values.
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import type { IncomingHttpHeaders } from 'node:http'
import { Webhook } from 'standardwebhooks'
import { hmacSha256Verifier } from '../../src/verify/hmac-sha256.ts'
import { standardWebhooksVerifier } from '../../src/verify/standard-webhooks.ts'
import { signRequest } from '../../src/verify/sign.ts'
import { VERIFY_REASONS } from '../../src/verify/reasons.ts'
import type { Verifier, VerifyInput } from '../../src/verify/verifier.ts'
import { signHmacSha256, signStandardWebhooks } from '../helpers/sign.ts'

const RUNS = { numRuns: 300 }

const body = fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b))
const nonEmptyBody = fc.uint8Array({ minLength: 1, maxLength: 1024 }).map((b) => Buffer.from(b))
const hmacSecret = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 })
const swSecret = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((k) => 'whsec_' + Buffer.from(k).toString('base64'))
const id = fc.stringMatching(/^[\x21-\x2d\x2f-\x7e]{1,64}$/)
const now = fc.integer({ min: 0, max: 999_999_999_999 })
const maxAge = fc.integer({ min: 1, max: 86_400 })
/** A timestamp inside the window around `now`, kept within the 12-digit grammar. */
const clock = fc.tuple(now, maxAge, fc.integer({ min: -86_400, max: 86_400 })).map(([n, age, skew]) => {
  const ts = Math.min(999_999_999_999, Math.max(0, n + Math.max(-age, Math.min(age, skew))))
  return { now: n, maxAge: age, ts }
})

function flipBit (bytes: Buffer, position: number): Buffer {
  const copy = Buffer.from(bytes)
  const bit = position % (copy.length * 8)
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7))
  return copy
}

function hmacHeaders (secret: string, raw: Buffer, ts: number): IncomingHttpHeaders {
  return { 'x-webhook-signature': signHmacSha256(secret, raw, ts), 'x-webhook-timestamp': String(ts) }
}

function swHeaders (secret: string, msgId: string, ts: number, raw: Buffer): IncomingHttpHeaders {
  return { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhooks(secret, msgId, ts, raw) }
}

describe('hmac-sha256 properties', () => {
  it('an oracle signature verifies for any body, secret and in-window timestamp', () => {
    fc.assert(fc.property(body, hmacSecret, clock, (raw, secret, c) => {
      const result = hmacSha256Verifier.verify({ rawBody: raw, headers: hmacHeaders(secret, raw, c.ts), secrets: [secret], maxAge: c.maxAge, now: c.now })
      expect(result.ok).toBe(true)
    }), RUNS)
  })

  it('an oracle body-only signature verifies with max_age 0', () => {
    fc.assert(fc.property(body, hmacSecret, now, (raw, secret, n) => {
      const result = hmacSha256Verifier.verify({ rawBody: raw, headers: { 'x-webhook-signature': signHmacSha256(secret, raw) }, secrets: [secret], maxAge: 0, now: n })
      expect(result).toEqual({ ok: true, replayKey: null })
    }), RUNS)
  })

  it('flipping any single bit of the body fails', () => {
    fc.assert(fc.property(nonEmptyBody, hmacSecret, clock, fc.nat(), (raw, secret, c, position) => {
      const result = hmacSha256Verifier.verify({ rawBody: flipBit(raw, position), headers: hmacHeaders(secret, raw, c.ts), secrets: [secret], maxAge: c.maxAge, now: c.now })
      expect(result).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('flipping any single bit of the signature fails', () => {
    fc.assert(fc.property(body, hmacSecret, clock, fc.nat(), (raw, secret, c, position) => {
      const mac = Buffer.from(signHmacSha256(secret, raw, c.ts).slice('sha256='.length), 'hex')
      const headers = { 'x-webhook-signature': 'sha256=' + flipBit(mac, position).toString('hex'), 'x-webhook-timestamp': String(c.ts) }
      const result = hmacSha256Verifier.verify({ rawBody: raw, headers, secrets: [secret], maxAge: c.maxAge, now: c.now })
      expect(result).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('changing the timestamp (still inside the window) fails', () => {
    fc.assert(fc.property(body, hmacSecret, clock, fc.integer({ min: 1, max: 86_400 }), (raw, secret, c, delta) => {
      const other = c.ts - delta >= c.now - c.maxAge && c.ts - delta >= 0 ? c.ts - delta : c.ts + delta
      fc.pre(Math.abs(other - c.now) <= c.maxAge && other <= 999_999_999_999)
      const headers = { 'x-webhook-signature': signHmacSha256(secret, raw, c.ts), 'x-webhook-timestamp': String(other) }
      const result = hmacSha256Verifier.verify({ rawBody: raw, headers, secrets: [secret], maxAge: c.maxAge, now: c.now })
      expect(result).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('a different secret fails', () => {
    fc.assert(fc.property(body, hmacSecret, hmacSecret, clock, (raw, a, b, c) => {
      // HMAC zero-pads short keys, so 'k' and 'k\0' are the same key by design of HMAC itself.
      fc.pre(a.replace(/\0+$/, '') !== b.replace(/\0+$/, ''))
      const result = hmacSha256Verifier.verify({ rawBody: raw, headers: hmacHeaders(a, raw, c.ts), secrets: [b], maxAge: c.maxAge, now: c.now })
      expect(result).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('src sign.ts agrees with the oracle byte for byte', () => {
    fc.assert(fc.property(body, hmacSecret, now, (raw, secret, ts) => {
      expect(signRequest('hmac-sha256', secret, raw, { timestamp: ts })['X-Webhook-Signature']).toBe(signHmacSha256(secret, raw, ts))
      expect(signRequest('hmac-sha256', secret, raw, { maxAge: 0 })['X-Webhook-Signature']).toBe(signHmacSha256(secret, raw))
    }), RUNS)
  })
})

describe('standard-webhooks properties', () => {
  it('an oracle signature verifies for any body, key, id and in-window timestamp', () => {
    fc.assert(fc.property(body, swSecret, id, clock, (raw, secret, msgId, c) => {
      const result = standardWebhooksVerifier.verify({ rawBody: raw, headers: swHeaders(secret, msgId, c.ts, raw), secrets: [secret], maxAge: c.maxAge, now: c.now })
      expect(result).toEqual({ ok: true, replayKey: `standard-webhooks:${msgId}` })
    }), RUNS)
  })

  it('flipping any single bit of the body fails', () => {
    fc.assert(fc.property(nonEmptyBody, swSecret, id, clock, fc.nat(), (raw, secret, msgId, c, position) => {
      const result = standardWebhooksVerifier.verify({ rawBody: flipBit(raw, position), headers: swHeaders(secret, msgId, c.ts, raw), secrets: [secret], maxAge: c.maxAge, now: c.now })
      expect(result).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('flipping any single bit of the signature fails', () => {
    fc.assert(fc.property(body, swSecret, id, clock, fc.nat(), (raw, secret, msgId, c, position) => {
      const mac = Buffer.from(signStandardWebhooks(secret, msgId, c.ts, raw).slice('v1,'.length), 'base64')
      const headers = { ...swHeaders(secret, msgId, c.ts, raw), 'webhook-signature': 'v1,' + flipBit(mac, position).toString('base64') }
      const result = standardWebhooksVerifier.verify({ rawBody: raw, headers, secrets: [secret], maxAge: c.maxAge, now: c.now })
      expect(result).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('changing the id or the timestamp fails', () => {
    fc.assert(fc.property(body, swSecret, id, id, clock, (raw, secret, msgId, otherId, c) => {
      fc.pre(otherId !== msgId)
      const headers = swHeaders(secret, msgId, c.ts, raw)
      const otherTs = c.ts === c.now ? c.ts + (c.ts < 999_999_999_999 ? 1 : -1) : c.now
      const input = { rawBody: raw, secrets: [secret], maxAge: c.maxAge, now: c.now }
      expect(standardWebhooksVerifier.verify({ ...input, headers: { ...headers, 'webhook-id': otherId } })).toEqual({ ok: false, reason: 'signature_mismatch' })
      expect(standardWebhooksVerifier.verify({ ...input, headers: { ...headers, 'webhook-timestamp': String(otherTs) } })).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('any list of 1–8 entries with one valid signature at any position verifies; 9 or more never do', () => {
    const wrong = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => 'v1,' + Buffer.from(b).toString('base64'))
    fc.assert(fc.property(body, swSecret, id, fc.array(wrong, { maxLength: 12 }), fc.nat(), (raw, secret, msgId, others, position) => {
      const headers = swHeaders(secret, msgId, 1000, raw)
      const entries = [...others]
      entries.splice(position % (others.length + 1), 0, headers['webhook-signature'] as string)
      const result = standardWebhooksVerifier.verify({ rawBody: raw, headers: { ...headers, 'webhook-signature': entries.join(' ') }, secrets: [secret], maxAge: 300, now: 1000 })
      if (entries.length <= 8) expect(result.ok).toBe(true)
      else expect(result).toEqual({ ok: false, reason: 'too_many_signatures' })
    }), RUNS)
  })

  it('a different key fails', () => {
    fc.assert(fc.property(body, swSecret, swSecret, id, (raw, a, b, msgId) => {
      fc.pre(a !== b)
      const result = standardWebhooksVerifier.verify({ rawBody: raw, headers: swHeaders(a, msgId, 1000, raw), secrets: [b], maxAge: 300, now: 1000 })
      expect(result).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  // The SDK signs the body as a UTF-8 string, so the differential uses text payloads.
  it('differential: the official SDK and our verifier accept each other\'s signatures', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 256 })
    fc.assert(fc.property(text, swSecret, id, (payload, secret, msgId) => {
      const ts = Math.floor(Date.now() / 1000)
      const raw = Buffer.from(payload, 'utf8')
      const sdkSignature = new Webhook(secret).sign(msgId, new Date(ts * 1000), payload)
      const sdkHeaders = { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': sdkSignature }
      expect(standardWebhooksVerifier.verify({ rawBody: raw, headers: sdkHeaders, secrets: [secret], maxAge: 300, now: ts }).ok).toBe(true)
      const ours = signRequest('standard-webhooks', secret, raw, { id: msgId, timestamp: ts })
      expect(ours['webhook-signature']).toBe(sdkSignature)
      expect(() => new Webhook(secret).verify(payload, ours, { jsonParse: false })).not.toThrow()
    }), RUNS)
  })
})

describe('verification never throws on hostile headers', () => {
  const names = ['x-webhook-signature', 'x-webhook-timestamp', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'X-Webhook-Signature', 'Webhook-Signature']
  const nearValid = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => 'sha256=' + s),
    fc.array(fc.string({ unit: 'binary', maxLength: 48 }).map((s) => 'v1,' + s), { maxLength: 12 }).map((a) => a.join(' ')),
    fc.stringMatching(/^[0-9]{0,14}$/),
    fc.string({ unit: 'binary', maxLength: 4096 })
  )
  const value = fc.oneof(nearValid, fc.array(nearValid, { maxLength: 3 }), fc.anything())
  const headers = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string()), value, { maxKeys: 8 })
  const secrets = fc.array(fc.oneof(fc.string(), fc.anything()), { maxLength: 3 })

  it.each([
    ['hmac-sha256', hmacSha256Verifier],
    ['standard-webhooks', standardWebhooksVerifier]
  ])('%s returns a listed reason for any header values', (_name, verifier: Verifier) => {
    fc.assert(fc.property(headers, secrets, body, fc.integer({ min: 0, max: 600 }), (h, s, raw, age) => {
      const input = { rawBody: raw, headers: h as IncomingHttpHeaders, secrets: s as string[], maxAge: age, now: 1_700_000_000 } satisfies VerifyInput
      const result = verifier.verify(input)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(VERIFY_REASONS).toContain(result.reason)
    }), { numRuns: 2000 })
  })

  it('a 1 MiB header value is refused without being parsed', () => {
    const huge = 'v1,'.padEnd(1024 * 1024, 'A')
    for (const verifier of [hmacSha256Verifier, standardWebhooksVerifier]) {
      const result = verifier.verify({ rawBody: Buffer.alloc(0), headers: { 'x-webhook-signature': huge, 'webhook-id': 'm', 'webhook-timestamp': '1', 'webhook-signature': huge }, secrets: ['whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'], maxAge: 300, now: 1 })
      expect(result).toEqual({ ok: false, reason: 'header_too_long' })
    }
  })
})
