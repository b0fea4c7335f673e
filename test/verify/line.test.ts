import { describe, it, expect } from 'vitest'
import { createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { validateSignature } from '@line/bot-sdk'
import { lineVerifier } from '../../src/verify/line.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { expectReject, flipBit } from './expect-reject.ts'
import { loadVector } from './vectors.ts'

// LINE channel secrets are 32 hex characters, used as text.
const SECRET = '0123456789abcdef0123456789abcdef'
const BODY = Buffer.from('{"destination":"U0","events":[{"type":"message","webhookEventId":"01H","message":{"type":"text","text":"héllo ✓"}}]}')

function verify (headers: IncomingHttpHeaders, opts: { body?: Buffer, secrets?: unknown[] } = {}): VerifyResult {
  return lineVerifier.verify({ rawBody: opts.body ?? BODY, headers, secrets: (opts.secrets ?? [SECRET]) as string[], maxAge: 300, now: 1_700_000_000 })
}

/** Independent of src/: base64 HMAC-SHA256 keyed with the channel secret's UTF-8 bytes. */
function lineSignature (secret: string, body: Buffer): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('base64')
}

function signed (body: Buffer = BODY, secret = SECRET): IncomingHttpHeaders {
  return { 'x-line-signature': lineSignature(secret, body) }
}

describe('line published vector', () => {
  const vector = loadVector('line-sdk-validate-signature')
  const body = Buffer.from(vector.body)

  it('verifies the line-bot-sdk test vector', () => {
    expect(verify(vector.headers, { body, secrets: [vector.secret] })).toEqual({ ok: true, replayKey: null })
  })

  it.each([0, 33, body.length * 8 - 1])('fails with bit %d of the body flipped', (bit) => {
    expectReject(verify(vector.headers, { body: flipBit(body, bit), secrets: [vector.secret] }), 'signature_mismatch')
  })

  it.each([0, 128, 255])('fails with bit %d of the signature flipped', (bit) => {
    const mac = Buffer.from(vector.expected_signature, 'base64')
    expectReject(verify({ 'x-line-signature': flipBit(mac, bit).toString('base64') }, { body, secrets: [vector.secret] }), 'signature_mismatch')
  })
})

describe('line cross-checked with @line/bot-sdk validateSignature', () => {
  it.each([
    ['a message event', BODY],
    ['an empty event list', Buffer.from('{"destination":"U0","events":[]}')]
  ])('both accept a node:crypto signature over %s', (_name, body) => {
    const signature = lineSignature(SECRET, body)
    expect(validateSignature(body.toString('utf8'), SECRET, signature)).toBe(true)
    expect(verify({ 'x-line-signature': signature }, { body }).ok).toBe(true)
  })

  it.each([
    ['a tampered body', lineSignature(SECRET, BODY), Buffer.from(BODY.toString().replace('héllo', 'hello'))],
    ['another channel secret', lineSignature('fedcba9876543210fedcba9876543210', BODY), BODY],
    // The classic mistake: the hex-looking secret decoded to bytes before use.
    ['the secret hex-decoded as the key', createHmac('sha256', Buffer.from(SECRET, 'hex')).update(BODY).digest('base64'), BODY]
  ])('both reject %s', (_name, signature, body) => {
    expect(validateSignature(body.toString('utf8'), SECRET, signature)).toBe(false)
    expect(verify({ 'x-line-signature': signature }, { body }).ok).toBe(false)
  })
})

describe('line signature header', () => {
  const good = lineSignature(SECRET, BODY)
  // Same 32 bytes with the last character's two unused bits set: a second spelling.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const nonCanonical = good.slice(0, 42) + alphabet[alphabet.indexOf(good[42] as string) ^ 1] + '='

  it.each([
    ['empty', '', 'missing_signature'],
    ['no padding', good.slice(0, -1), 'malformed_signature'],
    ['hex', Buffer.from(good, 'base64').toString('hex'), 'malformed_signature'],
    ['a URL-safe alphabet character', '-' + good.slice(1), 'malformed_signature'],
    ['non-canonical padding bits', nonCanonical, 'malformed_signature'],
    ['a truncated signature', good.slice(4), 'malformed_signature'],
    ['a leading space', ` ${good}`, 'malformed_signature'],
    ['the Node-joined duplicate', `${good}, ${good}`, 'malformed_signature'],
    ['over the length cap', good.padEnd(257, 'A'), 'header_too_long']
  ])('rejects %s', (_name, value, reason) => {
    expectReject(verify({ 'x-line-signature': value }), reason)
  })

  it('the SDK accepts the non-canonical spelling; we refuse it as malformed', () => {
    expect(validateSignature(BODY.toString(), SECRET, nonCanonical)).toBe(true)
    expectReject(verify({ 'x-line-signature': nonCanonical }), 'malformed_signature')
  })

  it('rejects a missing or duplicated header', () => {
    expectReject(verify({}), 'missing_signature')
    expectReject(verify({ 'x-line-signature': [good, good] }), 'duplicate_header')
    expectReject(verify({ 'x-line-signature': good, 'X-Line-Signature': good }), 'duplicate_header')
  })
})

describe('line secrets and rotation', () => {
  const OLD = 'ffffffffffffffff0000000000000000'

  it.each([
    ['current first', [SECRET, OLD]],
    ['current second', [OLD, SECRET]],
    ['after unusable entries', ['', undefined, SECRET]]
  ])('accepts when any secret verifies (%s)', (_name, secrets) => {
    expect(verify(signed(), { secrets }).ok).toBe(true)
  })

  it('rejects a signature made with another secret', () => {
    expectReject(verify(signed(BODY, OLD)), 'signature_mismatch')
  })

  it('never verifies without a usable secret', () => {
    expectReject(verify(signed(BODY, ''), { secrets: [''] }), 'no_usable_secret')
    expectReject(verify(signed(), { secrets: [] }), 'no_usable_secret')
  })
})
