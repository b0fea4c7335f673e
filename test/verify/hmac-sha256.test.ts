import { describe, it, expect } from 'vitest'
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import type { IncomingHttpHeaders } from 'node:http'
import { hmacSha256Verifier } from '../../src/verify/hmac-sha256.ts'
import { VERIFY_REASONS } from '../../src/verify/reasons.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { signHmacSha256 } from '../helpers/sign.ts'
import { loadVector } from './vectors.ts'

const NOW = 1_700_000_000
const SECRET = 'a-long-enough-test-secret-0123456789'
const BODY = Buffer.from('{"text":"/run tests","id":"42"}')

function verify (headers: IncomingHttpHeaders, opts: { body?: Buffer, secrets?: string[], maxAge?: number, now?: number } = {}): VerifyResult {
  return hmacSha256Verifier.verify({
    rawBody: opts.body ?? BODY,
    headers,
    secrets: opts.secrets ?? [SECRET],
    maxAge: opts.maxAge ?? 300,
    now: opts.now ?? NOW
  })
}

function signed (ts: number | string = NOW, body: Buffer = BODY, secret = SECRET): IncomingHttpHeaders {
  return { 'x-webhook-signature': signHmacSha256(secret, body, ts), 'x-webhook-timestamp': String(ts) }
}

function expectReject (result: VerifyResult, reason: string): void {
  expect(result).toEqual({ ok: false, reason })
  expect(VERIFY_REASONS).toContain(reason)
}

describe('hmac-sha256 known answers', () => {
  // GitHub's published vector is HMAC-SHA256 over the raw body in hex: our max_age 0 mode exactly.
  const github = loadVector('github-docs-test-values')
  const signature = github.expected_signature

  it('verifies the GitHub docs vector in max_age 0 mode', () => {
    const result = verify({ 'x-webhook-signature': signature }, { body: Buffer.from(github.body), secrets: [github.secret], maxAge: 0 })
    expect(result).toEqual({ ok: true, replayKey: null })
  })

  it('accepts the same digest in upper-case hex', () => {
    const upper = 'sha256=' + signature.slice('sha256='.length).toUpperCase()
    expect(verify({ 'x-webhook-signature': upper }, { body: Buffer.from(github.body), secrets: [github.secret], maxAge: 0 }).ok).toBe(true)
  })

  it('the oracle reproduces the vector', () => {
    expect(signHmacSha256(github.secret, github.body)).toBe(signature)
  })

  it('rejects the vector with the body changed by one character', () => {
    const result = verify({ 'x-webhook-signature': signature }, { body: Buffer.from('Hello, World?'), secrets: [github.secret], maxAge: 0 })
    expectReject(result, 'signature_mismatch')
  })
})

describe('hmac-sha256 with openssl as an independent producer', () => {
  function opensslDigest (script: string, env: Record<string, string>): string {
    const out = execFileSync('sh', ['-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' })
    // "SHA2-256(stdin)= <hex>" (OpenSSL 3) or "(stdin)= <hex>" (older): the digest is the last field.
    return out.trim().split(' ').at(-1) as string
  }

  it.each([
    ['ASCII JSON', '{"text":"/test"}', 'openssl-secret-0123456789'],
    ['UTF-8 body and secret', '{"text":"héllo ✓ 日本"}', 'sécret-✓-0123456789'],
    ['empty body', '', 'openssl-secret-0123456789']
  ])('verifies `printf %%s "$BODY" | openssl dgst -sha256 -hmac "$SECRET"` (%s) with max_age 0', (_name, body, secret) => {
    const hex = opensslDigest('printf \'%s\' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"', { BODY: body, SECRET: secret })
    expect(hex).toMatch(/^[0-9a-f]{64}$/)
    const result = verify({ 'x-webhook-signature': `sha256=${hex}` }, { body: Buffer.from(body, 'utf8'), secrets: [secret], maxAge: 0 })
    expect(result).toEqual({ ok: true, replayKey: null })
  })

  it('verifies an openssl signature over "<ts>.<body>" with a timestamp', () => {
    const body = '{"text":"/run"}'
    const hex = opensslDigest('printf \'%s.%s\' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"', { TS: String(NOW), BODY: body, SECRET })
    const result = verify({ 'x-webhook-signature': `sha256=${hex}`, 'x-webhook-timestamp': String(NOW) }, { body: Buffer.from(body) })
    expect(result.ok).toBe(true)
  })
})

describe('hmac-sha256 with a timestamp', () => {
  it('verifies an oracle signature and derives the replay key from the signed bytes', () => {
    const expectedKey = 'hmac-sha256:' + createHash('sha256').update(`${NOW}.`).update(BODY).digest('hex')
    expect(verify(signed())).toEqual({ ok: true, replayKey: expectedKey })
  })

  it('gives the same replay key for the same signed bytes and a different one for a new timestamp', () => {
    const a = verify(signed(NOW))
    const b = verify(signed(NOW))
    const c = verify(signed(NOW - 1))
    expect(a.ok && b.ok && c.ok).toBe(true)
    if (a.ok && b.ok && c.ok) {
      expect(a.replayKey).toBe(b.replayKey)
      expect(c.replayKey).not.toBe(a.replayKey)
    }
  })

  it('accepts mixed-case header names (as a non-Node caller might pass them)', () => {
    const h = signed()
    expect(verify({ 'X-Webhook-Signature': h['x-webhook-signature'], 'X-Webhook-Timestamp': h['x-webhook-timestamp'] }).ok).toBe(true)
  })

  it.each([
    ['now - max_age', NOW - 300, true],
    ['now + max_age', NOW + 300, true],
    ['now - max_age - 1', NOW - 301, false],
    ['now + max_age + 1', NOW + 301, false]
  ])('window boundary %s → %s', (_name, ts, accepted) => {
    const result = verify(signed(ts))
    if (accepted) expect(result.ok).toBe(true)
    else expectReject(result, 'timestamp_out_of_window')
  })

  it('rejects a body-only signature when a timestamp is required', () => {
    const result = verify({ 'x-webhook-signature': signHmacSha256(SECRET, BODY), 'x-webhook-timestamp': String(NOW) })
    expectReject(result, 'signature_mismatch')
  })

  it('rejects a signature moved to another timestamp', () => {
    const result = verify({ 'x-webhook-signature': signHmacSha256(SECRET, BODY, NOW), 'x-webhook-timestamp': String(NOW + 1) })
    expectReject(result, 'signature_mismatch')
  })

  it('rejects a missing timestamp', () => {
    expectReject(verify({ 'x-webhook-signature': signHmacSha256(SECRET, BODY, NOW) }), 'missing_timestamp')
  })

  // Each one carries a signature that is valid for exactly these header bytes: only the grammar refuses it.
  it.each([
    ['leading plus', '+1700000000', 'malformed_timestamp'],
    ['decimal', '1700000000.5', 'malformed_timestamp'],
    ['leading space', ' 1700000000', 'malformed_timestamp'],
    ['trailing space', '1700000000 ', 'malformed_timestamp'],
    ['hex', '0x10', 'malformed_timestamp'],
    ['exponent', '1.7e9', 'malformed_timestamp'],
    ['13 digits', '1700000000000', 'malformed_timestamp'],
    ['negative', '-1700000000', 'malformed_timestamp'],
    ['trailing garbage', '1700000000abc', 'malformed_timestamp'],
    ['Node-joined duplicate', '1700000000, 1700000000', 'malformed_timestamp'],
    ['milliseconds', '1700000000000', 'malformed_timestamp'],
    ['over the length cap', '1'.repeat(65), 'header_too_long'],
    ['empty', '', 'missing_timestamp']
  ])('rejects timestamp %s (%j) as %s', (_name, ts, reason) => {
    const result = verify({ 'x-webhook-signature': signHmacSha256(SECRET, BODY, ts), 'x-webhook-timestamp': ts })
    expectReject(result, reason)
  })
})

describe('hmac-sha256 with max_age 0', () => {
  it('verifies a body-only signature and returns no replay key', () => {
    expect(verify({ 'x-webhook-signature': signHmacSha256(SECRET, BODY) }, { maxAge: 0 })).toEqual({ ok: true, replayKey: null })
  })

  it('ignores a timestamp header entirely, even a malformed or duplicated one', () => {
    const sig = signHmacSha256(SECRET, BODY)
    expect(verify({ 'x-webhook-signature': sig, 'x-webhook-timestamp': 'garbage' }, { maxAge: 0 }).ok).toBe(true)
    expect(verify({ 'x-webhook-signature': sig, 'x-webhook-timestamp': ['1', '2'] }, { maxAge: 0 }).ok).toBe(true)
  })

  it('rejects a timestamped signature (the timestamp is not part of the signed bytes)', () => {
    expectReject(verify(signed(), { maxAge: 0 }), 'signature_mismatch')
  })
})

describe('hmac-sha256 signature header', () => {
  const hex = signHmacSha256(SECRET, BODY, NOW).slice('sha256='.length)

  it.each([
    ['absent', undefined, 'missing_signature'],
    ['empty', '', 'missing_signature'],
    ['bare hex', hex, 'malformed_signature'],
    ['upper-case prefix', `SHA256=${hex}`, 'malformed_signature'],
    ['other algorithm', `sha1=${hex.slice(0, 40)}`, 'malformed_signature'],
    ['colon separator', `sha256:${hex}`, 'malformed_signature'],
    ['63 digits', `sha256=${hex.slice(1)}`, 'malformed_signature'],
    ['65 digits', `sha256=${hex}0`, 'malformed_signature'],
    ['non-hex digit', `sha256=${hex.slice(1)}g`, 'malformed_signature'],
    ['leading space', ` sha256=${hex}`, 'malformed_signature'],
    ['trailing newline', `sha256=${hex}\n`, 'malformed_signature'],
    ['base64 instead of hex', `sha256=${Buffer.from(hex, 'hex').toString('base64')}`, 'malformed_signature'],
    ['Node-joined duplicate', `sha256=${hex}, sha256=${hex}`, 'malformed_signature'],
    ['non-ASCII', `sha256=${hex.slice(2)}é✓`, 'malformed_signature'],
    ['over the length cap', `sha256=${hex}`.padEnd(257, '0'), 'header_too_long']
  ])('%s → %s', (_name, value, reason) => {
    const headers: IncomingHttpHeaders = { 'x-webhook-timestamp': String(NOW) }
    if (value !== undefined) headers['x-webhook-signature'] = value
    expectReject(verify(headers), reason)
  })

  it.each([
    ['signature as an array', (h: IncomingHttpHeaders) => ({ ...h, 'x-webhook-signature': [h['x-webhook-signature'] as string, h['x-webhook-signature'] as string] })],
    ['signature as an array of one', (h: IncomingHttpHeaders) => ({ ...h, 'x-webhook-signature': [h['x-webhook-signature'] as string] })],
    ['timestamp as an array', (h: IncomingHttpHeaders) => ({ ...h, 'x-webhook-timestamp': [String(NOW), String(NOW)] })],
    ['signature under two spellings', (h: IncomingHttpHeaders) => ({ ...h, 'X-Webhook-Signature': h['x-webhook-signature'] })]
  ])('rejects duplicate headers: %s', (_name, mutate) => {
    expectReject(verify(mutate(signed())), 'duplicate_header')
  })
})

describe('hmac-sha256 secrets and rotation', () => {
  const OLD = 'the-previous-secret-0123456789'
  const WRONG = 'not-the-secret-at-all-012345678'

  it.each([
    ['new secret first', [SECRET, OLD]],
    ['new secret second', [OLD, SECRET]],
    ['after an empty secret', ['', SECRET]]
  ])('accepts when any secret verifies (%s)', (_name, secrets) => {
    expect(verify(signed(), { secrets }).ok).toBe(true)
  })

  it('rejects when no secret verifies', () => {
    expectReject(verify(signed(), { secrets: [OLD, WRONG] }), 'signature_mismatch')
  })

  it.each([
    ['no secrets', []],
    ['only an empty secret', ['']]
  ])('never verifies with %s', (_name, secrets) => {
    expectReject(verify(signed(NOW, BODY, ''), { secrets }), 'no_usable_secret')
  })
})

describe('hmac-sha256 input guard', () => {
  it.each([
    ['negative max_age', { maxAge: -1 }],
    ['fractional max_age', { maxAge: 1.5 }],
    ['NaN max_age', { maxAge: Number.NaN }],
    ['NaN clock', { now: Number.NaN }],
    ['infinite clock', { now: Number.POSITIVE_INFINITY }]
  ])('fails closed on %s', (_name, opts) => {
    expectReject(verify(signed(), opts), 'invalid_verifier_input')
  })

  it('fails closed when the body is not raw bytes', () => {
    const result = hmacSha256Verifier.verify({ rawBody: BODY.toString() as unknown as Buffer, headers: signed(), secrets: [SECRET], maxAge: 300, now: NOW })
    expectReject(result, 'invalid_verifier_input')
  })
})
