import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { Webhook } from 'standardwebhooks'
import { signRequest } from '../../src/verify/sign.ts'
import { hmacSha256Verifier } from '../../src/verify/hmac-sha256.ts'
import { standardWebhooksVerifier } from '../../src/verify/standard-webhooks.ts'
import { signHmacSha256, signStandardWebhooks } from '../helpers/sign.ts'
import { loadVector } from './vectors.ts'

const BODY = Buffer.from('{"text":"/run tests ✓"}')
const SECRET = 'a-long-enough-test-secret-0123456789'
const NOW = 1_700_000_000

describe('signRequest hmac-sha256', () => {
  it('emits the contract headers, matching the oracle and accepted by the verifier', () => {
    const headers = signRequest('hmac-sha256', SECRET, BODY, { timestamp: NOW })
    expect(headers).toEqual({
      'X-Webhook-Timestamp': String(NOW),
      'X-Webhook-Signature': signHmacSha256(SECRET, BODY, NOW)
    })
    expect(hmacSha256Verifier.verify({ rawBody: BODY, headers, secrets: [SECRET], maxAge: 300, now: NOW }).ok).toBe(true)
  })

  it('with maxAge 0 signs the body alone, as openssl does, and sends no timestamp', () => {
    const headers = signRequest('hmac-sha256', SECRET, BODY, { maxAge: 0, timestamp: NOW })
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', SECRET], { input: BODY, encoding: 'utf8' }).trim().split(' ').at(-1)
    expect(headers).toEqual({ 'X-Webhook-Signature': `sha256=${openssl}` })
    expect(headers['X-Webhook-Signature']).toBe(signHmacSha256(SECRET, BODY))
    expect(hmacSha256Verifier.verify({ rawBody: BODY, headers, secrets: [SECRET], maxAge: 0, now: NOW }).ok).toBe(true)
  })

  it('reproduces the GitHub docs vector in maxAge 0 mode', () => {
    const github = loadVector('github-docs-test-values')
    expect(signRequest('hmac-sha256', github.secret, Buffer.from(github.body), { maxAge: 0 })).toEqual({ 'X-Webhook-Signature': github.expected_signature })
  })

  it('defaults the timestamp to the current second', () => {
    const before = Math.floor(Date.now() / 1000)
    const headers = signRequest('hmac-sha256', SECRET, BODY)
    const after = Math.floor(Date.now() / 1000)
    const ts = Number(headers['X-Webhook-Timestamp'])
    expect(ts).toBeGreaterThanOrEqual(before)
    expect(ts).toBeLessThanOrEqual(after)
    expect(headers['X-Webhook-Signature']).toBe(signHmacSha256(SECRET, BODY, ts))
  })
})

describe('signRequest standard-webhooks', () => {
  const vector = loadVector('standardwebhooks-sign-function')

  it('reproduces the published vector', () => {
    const headers = signRequest('standard-webhooks', vector.secret, Buffer.from(vector.body), { id: vector.headers['webhook-id'], timestamp: vector.timestamp })
    expect(headers).toEqual(vector.headers)
  })

  it('is verified by the official package, the oracle and our verifier', () => {
    const secret = 'whsec_' + randomBytes(32).toString('base64')
    const now = Math.floor(Date.now() / 1000)
    const headers = signRequest('standard-webhooks', secret, BODY, { id: 'msg_sign_test', timestamp: now })
    expect(headers['webhook-signature']).toBe(signStandardWebhooks(secret, 'msg_sign_test', now, BODY))
    expect(() => new Webhook(secret).verify(BODY.toString('utf8'), headers, { jsonParse: false })).not.toThrow()
    expect(standardWebhooksVerifier.verify({ rawBody: BODY, headers, secrets: [secret], maxAge: 300, now })).toEqual({ ok: true, replayKey: 'standard-webhooks:msg_sign_test' })
  })

  it('generates a fresh valid id and the current timestamp by default', () => {
    const a = signRequest('standard-webhooks', vector.secret, BODY)
    const b = signRequest('standard-webhooks', vector.secret, BODY)
    expect(a['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(a['webhook-id']).not.toBe(b['webhook-id'])
    const now = Number(a['webhook-timestamp'])
    expect(Math.abs(now - Date.now() / 1000)).toBeLessThan(5)
    expect(standardWebhooksVerifier.verify({ rawBody: BODY, headers: a, secrets: [vector.secret], maxAge: 300, now }).ok).toBe(true)
  })
})

describe('signRequest refuses what the gateway would reject', () => {
  it.each([
    ['an unknown scheme', () => signRequest('github', SECRET, BODY)],
    ['an empty hmac secret', () => signRequest('hmac-sha256', '', BODY)],
    ['a non-base64 standard-webhooks secret', () => signRequest('standard-webhooks', 'whsec_!!!!', BODY)],
    ['a negative timestamp', () => signRequest('hmac-sha256', SECRET, BODY, { timestamp: -1 })],
    ['a fractional timestamp', () => signRequest('hmac-sha256', SECRET, BODY, { timestamp: 1.5 })],
    ['a 13-digit timestamp (milliseconds)', () => signRequest('standard-webhooks', 'whsec_' + randomBytes(24).toString('base64'), BODY, { timestamp: Date.now() })],
    ['an id with a dot', () => signRequest('standard-webhooks', 'whsec_' + randomBytes(24).toString('base64'), BODY, { id: 'msg.1' })],
    ['an empty id', () => signRequest('standard-webhooks', 'whsec_' + randomBytes(24).toString('base64'), BODY, { id: '' })]
  ])('throws for %s', (_name, call) => {
    expect(call).toThrow(Error)
  })

  it('never puts the secret into an error message', () => {
    const secret = 'whsec_!!this-secret-must-not-leak!!'
    expect(() => signRequest('standard-webhooks', secret, BODY)).toThrow(/^(?!.*must-not-leak).*$/s)
  })
})
