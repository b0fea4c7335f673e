// Property tests for the platform schemes: round trip with an independent signer (or the official
// SDK), single-bit mutation, and "never throws, always a listed reason" for arbitrary headers.
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { createHmac, generateKeyPairSync, sign } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import twilio from 'twilio'
import { discordVerifier } from '../../src/verify/discord.ts'
import { githubVerifier } from '../../src/verify/github.ts'
import { lineVerifier } from '../../src/verify/line.ts'
import { slackVerifier } from '../../src/verify/slack.ts'
import { teamsVerifier } from '../../src/verify/teams.ts'
import { telegramVerifier } from '../../src/verify/telegram.ts'
import { twilioVerifier } from '../../src/verify/twilio.ts'
import { VERIFY_REASONS } from '../../src/verify/reasons.ts'
import type { Verifier, VerifyInput } from '../../src/verify/verifier.ts'
import { flipBit } from './expect-reject.ts'

const RUNS = { numRuns: 200 }
const NOW = 1_700_000_000

const body = fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b))
const nonEmptyBody = fc.uint8Array({ minLength: 1, maxLength: 1024 }).map((b) => Buffer.from(b))
const textSecret = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 })
const teamsToken = fc.uint8Array({ minLength: 16, maxLength: 64 }).map((k) => Buffer.from(k).toString('base64'))
const telegramToken = fc.stringMatching(/^[A-Za-z0-9_-]{1,256}$/)
const inWindow = fc.integer({ min: -300, max: 300 }).map((skew) => NOW + skew)

function input (verifier: Verifier, rawBody: Buffer, headers: IncomingHttpHeaders, secrets: string[], extra: Partial<VerifyInput> = {}) {
  return verifier.verify({ rawBody, headers, secrets, maxAge: 300, now: NOW, ...extra })
}

// Independent signers, written from the scheme descriptions with node:crypto only.
const hmacSchemes: Array<[string, Verifier, fc.Arbitrary<string>, (secret: string, raw: Buffer, ts: number) => IncomingHttpHeaders, (headers: IncomingHttpHeaders) => Buffer, (mac: Buffer, ts: number) => IncomingHttpHeaders]> = [
  ['github', githubVerifier, textSecret,
    (s, raw) => ({ 'x-hub-signature-256': 'sha256=' + createHmac('sha256', s).update(raw).digest('hex') }),
    (h) => Buffer.from((h['x-hub-signature-256'] as string).slice(7), 'hex'),
    (mac) => ({ 'x-hub-signature-256': 'sha256=' + mac.toString('hex') })],
  ['slack', slackVerifier, textSecret,
    (s, raw, ts) => ({ 'x-slack-request-timestamp': String(ts), 'x-slack-signature': 'v0=' + createHmac('sha256', s).update(`v0:${ts}:`).update(raw).digest('hex') }),
    (h) => Buffer.from((h['x-slack-signature'] as string).slice(3), 'hex'),
    (mac, ts) => ({ 'x-slack-request-timestamp': String(ts), 'x-slack-signature': 'v0=' + mac.toString('hex') })],
  ['line', lineVerifier, textSecret,
    (s, raw) => ({ 'x-line-signature': createHmac('sha256', s).update(raw).digest('base64') }),
    (h) => Buffer.from(h['x-line-signature'] as string, 'base64'),
    (mac) => ({ 'x-line-signature': mac.toString('base64') })],
  ['teams', teamsVerifier, teamsToken,
    (s, raw) => ({ authorization: 'HMAC ' + createHmac('sha256', Buffer.from(s, 'base64')).update(raw).digest('base64') }),
    (h) => Buffer.from((h.authorization as string).slice(5), 'base64'),
    (mac) => ({ authorization: 'HMAC ' + mac.toString('base64') })]
]

describe.each(hmacSchemes)('%s properties', (_name, verifier, secret, signHeaders, macOf, withMac) => {
  it('an independently signed request verifies for any body, secret and in-window timestamp', () => {
    fc.assert(fc.property(body, secret, inWindow, (raw, s, ts) => {
      expect(input(verifier, raw, signHeaders(s, raw, ts), [s]).ok).toBe(true)
    }), RUNS)
  })

  it('flipping any single bit of the body fails', () => {
    fc.assert(fc.property(nonEmptyBody, secret, inWindow, fc.nat(), (raw, s, ts, bit) => {
      expect(input(verifier, flipBit(raw, bit), signHeaders(s, raw, ts), [s])).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('flipping any single bit of the signature fails', () => {
    fc.assert(fc.property(body, secret, inWindow, fc.nat(), (raw, s, ts, bit) => {
      const headers = withMac(flipBit(macOf(signHeaders(s, raw, ts)), bit), ts)
      expect(input(verifier, raw, headers, [s])).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('a different secret fails', () => {
    fc.assert(fc.property(body, secret, secret, inWindow, (raw, a, b, ts) => {
      // HMAC zero-pads short keys, so 'k' and 'k\0' are one key by HMAC's own design.
      fc.pre(a.replace(/\0+$/, '') !== b.replace(/\0+$/, '') && a !== b)
      expect(input(verifier, raw, signHeaders(a, raw, ts), [b])).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })
})

describe('telegram properties', () => {
  it('any token Telegram allows matches itself and nothing that differs in one character', () => {
    fc.assert(fc.property(telegramToken, fc.nat(), fc.constantFrom(...'aZ0_-'), (token, at, char) => {
      const header = 'x-telegram-bot-api-secret-token'
      expect(input(telegramVerifier, Buffer.alloc(0), { [header]: token }, [token]).ok).toBe(true)
      const i = at % token.length
      const other = token.slice(0, i) + char + token.slice(i + 1)
      fc.pre(other !== token)
      expect(input(telegramVerifier, Buffer.alloc(0), { [header]: other }, [token])).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })
})

describe('discord properties', () => {
  const pairs = Array.from({ length: 4 }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    return { privateKey, publicHex: Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex') }
  })
  const pair = fc.constantFrom(...pairs)

  function headers (p: (typeof pairs)[number], raw: Buffer, ts: number): IncomingHttpHeaders {
    return { 'x-signature-timestamp': String(ts), 'x-signature-ed25519': sign(null, Buffer.concat([Buffer.from(String(ts)), raw]), p.privateKey).toString('hex') }
  }

  it('a node:crypto signature verifies and any flipped body or signature bit fails', () => {
    fc.assert(fc.property(nonEmptyBody, pair, inWindow, fc.nat(), (raw, p, ts, bit) => {
      const h = headers(p, raw, ts)
      expect(input(discordVerifier, raw, h, [p.publicHex]).ok).toBe(true)
      expect(input(discordVerifier, flipBit(raw, bit), h, [p.publicHex])).toEqual({ ok: false, reason: 'signature_mismatch' })
      const sig = flipBit(Buffer.from(h['x-signature-ed25519'] as string, 'hex'), bit).toString('hex')
      expect(input(discordVerifier, raw, { ...h, 'x-signature-ed25519': sig }, [p.publicHex])).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })

  it('a signature from one key never verifies under another', () => {
    fc.assert(fc.property(body, pair, pair, (raw, a, b) => {
      fc.pre(a !== b)
      expect(input(discordVerifier, raw, headers(a, raw, NOW), [b.publicHex])).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), { numRuns: 50 })
  })
})

describe('twilio properties', () => {
  const TOKEN = 'twilio-auth-token-0123456789abcd'
  const URL_ = 'https://hooks.example.com/v1/hooks/sms'
  const params = fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 40 }), { maxKeys: 8 })

  function form (p: Record<string, string>): Buffer {
    const search = new URLSearchParams()
    for (const [k, v] of Object.entries(p)) search.append(k, v)
    return Buffer.from(search.toString())
  }

  it('any form parameters signed by the official SDK verify; a changed value does not', () => {
    fc.assert(fc.property(params, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }), (p, extra) => {
      const signature = twilio.getExpectedTwilioSignature(TOKEN, URL_, p)
      const headers = { 'x-twilio-signature': signature, 'content-type': 'application/x-www-form-urlencoded' }
      expect(input(twilioVerifier, form(p), headers, [TOKEN], { url: URL_ }).ok).toBe(true)
      const names = Object.keys(p)
      fc.pre(names.length > 0)
      const changed = { ...p, [names[0] as string]: p[names[0] as string] + extra }
      expect(input(twilioVerifier, form(changed), headers, [TOKEN], { url: URL_ })).toEqual({ ok: false, reason: 'signature_mismatch' })
    }), RUNS)
  })
})

describe('platform verification never throws on hostile input', () => {
  const names = [
    'x-hub-signature-256', 'x-slack-signature', 'x-slack-request-timestamp', 'x-twilio-signature', 'content-type',
    'x-line-signature', 'authorization', 'x-telegram-bot-api-secret-token', 'x-signature-ed25519', 'x-signature-timestamp',
    'X-Hub-Signature-256', 'Authorization', 'Content-Type'
  ]
  const nearValid = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => 'sha256=' + s),
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => 'v0=' + s),
    fc.string({ unit: 'binary', maxLength: 60 }).map((s) => 'HMAC ' + s),
    fc.uint8Array({ minLength: 20, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
    fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString('hex')),
    fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
    fc.stringMatching(/^[0-9]{0,14}$/),
    fc.string({ unit: 'binary', maxLength: 4096 })
  )
  const value = fc.oneof(nearValid, fc.array(nearValid, { maxLength: 3 }), fc.anything())
  const headers = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string()), value, { maxKeys: 8 })
  // Well-formed secrets of every kind (so the code past "no usable secret" runs) and garbage.
  const secrets = fc.array(fc.oneof(
    fc.constantFrom('a-long-enough-secret-0123456789', 'vqF0En+Z0ucuRTM/01o2GuhMH3hKKk/N2bOmlM31zaA=', 'my-Secret_token-123',
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '00'.repeat(32)),
    fc.string(), fc.anything()
  ), { maxLength: 3 })
  const url = fc.oneof(
    fc.constantFrom('https://hooks.example.com/v1/hooks/sms?bodySHA256=' + 'a'.repeat(64), 'https://hooks.example.com/x?bodySHA256=1&bodySHA256=2'),
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.anything()
  )

  it.each([
    ['github', githubVerifier],
    ['slack', slackVerifier],
    ['twilio', twilioVerifier],
    ['line', lineVerifier],
    ['teams', teamsVerifier],
    ['telegram', telegramVerifier],
    ['discord', discordVerifier]
  ])('%s returns a listed reason for any header values, secrets and URL', (_name, verifier: Verifier) => {
    fc.assert(fc.property(headers, secrets, body, fc.integer({ min: 0, max: 600 }), url, (h, s, raw, age, u) => {
      const result = verifier.verify({ rawBody: raw, headers: h as IncomingHttpHeaders, secrets: s as string[], maxAge: age, now: NOW, url: u as string })
      expect(result.ok).toBe(false)
      if (!result.ok) expect(VERIFY_REASONS).toContain(result.reason)
    }), { numRuns: 1500 })
  })

  it('a 1 MiB header value is refused without being parsed', () => {
    const huge = 'A'.repeat(1024 * 1024)
    const all = Object.fromEntries(names.filter((n) => n === n.toLowerCase()).map((n) => [n, huge]))
    for (const verifier of [githubVerifier, slackVerifier, twilioVerifier, lineVerifier, teamsVerifier, telegramVerifier, discordVerifier]) {
      const result = verifier.verify({ rawBody: Buffer.alloc(0), headers: all, secrets: ['a-long-enough-secret-0123456789'], maxAge: 300, now: NOW, url: 'https://h.example/' })
      expect(result).toEqual({ ok: false, reason: 'header_too_long' })
    }
  })
})
