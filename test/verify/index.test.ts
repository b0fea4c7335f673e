import { describe, it, expect } from 'vitest'
import { createPrivateKey, sign } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { createVerifier } from '../../src/verify/index.ts'
import { failClosed } from '../../src/verify/fail-closed.ts'
import { CREDENTIAL_HEADERS } from '../../src/verify/scheme-headers.ts'
import type { VerifyInput } from '../../src/verify/verifier.ts'
import { loadEd25519Vector, loadTwilioFormVector, loadVector } from './vectors.ts'

const SCHEMES = ['hmac-sha256', 'standard-webhooks', 'github', 'slack', 'twilio', 'line', 'teams', 'telegram', 'discord']

describe('createVerifier', () => {
  it('maps hmac-sha256 to its verifier', () => {
    const github = loadVector('github-docs-test-values')
    const result = createVerifier('hmac-sha256').verify({
      rawBody: Buffer.from(github.body),
      headers: { 'x-webhook-signature': github.expected_signature },
      secrets: [github.secret],
      maxAge: 0,
      now: 0
    })
    expect(result).toEqual({ ok: true, replayKey: null })
  })

  it('maps standard-webhooks to its verifier', () => {
    const vector = loadVector('standardwebhooks-sign-function')
    const result = createVerifier('standard-webhooks').verify({
      rawBody: Buffer.from(vector.body),
      headers: vector.headers,
      secrets: [vector.secret],
      maxAge: 300,
      now: vector.timestamp as number
    })
    expect(result.ok).toBe(true)
  })

  // Each platform scheme with its published (or, for discord, RFC 8032-keyed) vector.
  const platformCases: Array<[string, () => VerifyInput]> = [
    ['github', () => {
      const v = loadVector('github-docs-test-values')
      return { rawBody: Buffer.from(v.body), headers: v.headers, secrets: [v.secret], maxAge: 300, now: 0 }
    }],
    ['slack', () => {
      const v = loadVector('slack-docs-slash-command')
      return { rawBody: Buffer.from(v.body), headers: v.headers, secrets: [v.secret], maxAge: 300, now: v.timestamp as number }
    }],
    ['twilio', () => {
      const v = loadTwilioFormVector('twilio-form-docs-example')
      const headers = { ...v.headers, 'Content-Type': 'application/x-www-form-urlencoded' }
      return { rawBody: Buffer.from(new URLSearchParams(v.params).toString()), headers, url: v.url, secrets: [v.secret], maxAge: 300, now: 0 }
    }],
    ['line', () => {
      const v = loadVector('line-sdk-validate-signature')
      return { rawBody: Buffer.from(v.body), headers: v.headers, secrets: [v.secret], maxAge: 300, now: 0 }
    }],
    ['teams', () => {
      const v = loadVector('teams-derived-docs-key')
      return { rawBody: Buffer.from(v.body), headers: v.headers, secrets: [v.secret], maxAge: 300, now: 0 }
    }],
    ['telegram', () => {
      const v = loadVector('telegram-secret-token')
      return { rawBody: Buffer.from(v.body), headers: v.headers, secrets: [v.secret], maxAge: 300, now: 0 }
    }],
    ['discord', () => {
      const v = loadEd25519Vector('ed25519-rfc8032-test1')
      const privateKey = createPrivateKey({ key: Buffer.from('302e020100300506032b657004220420' + v.secret, 'hex'), format: 'der', type: 'pkcs8' })
      const body = Buffer.from('{"type":1}')
      const headers = { 'X-Signature-Timestamp': '1700000000', 'X-Signature-Ed25519': sign(null, Buffer.from('1700000000{"type":1}'), privateKey).toString('hex') }
      return { rawBody: body, headers, secrets: [v.public_key_hex], maxAge: 300, now: 1_700_000_000 }
    }]
  ]

  it.each(platformCases)('maps %s to its verifier', (scheme, input) => {
    expect(createVerifier(scheme).verify(input()).ok).toBe(true)
    // And no other scheme accepts the same request.
    for (const other of SCHEMES.filter((s) => s !== scheme)) {
      expect(createVerifier(other).verify(input()).ok).toBe(false)
    }
  })

  it.each(['', 'nope', 'HMAC-SHA256', 'hmac-sha256 ', 'standard_webhooks', 'GitHub', 'slack ', 'msteams', 'twilio-json', '__proto__', 'constructor'])('throws for unknown scheme %j', (scheme) => {
    expect(() => createVerifier(scheme)).toThrow(/unknown signature scheme/)
  })

  it.each(SCHEMES)('turns an exception from hostile input into a rejection (%s)', (scheme) => {
    const hostile = new Proxy({}, { ownKeys () { throw new Error('boom') } }) as IncomingHttpHeaders
    const result = createVerifier(scheme).verify({ rawBody: Buffer.alloc(0), headers: hostile, secrets: ['x'], maxAge: 300, now: 0, url: 'https://h.example/' })
    expect(result).toEqual({ ok: false, reason: 'verifier_error' })
  })

  it.each(SCHEMES)('rejects a request with no headers at all (%s)', (scheme) => {
    const result = createVerifier(scheme).verify({ rawBody: Buffer.from('{}'), headers: {}, secrets: ['a-long-enough-secret-0123456789'], maxAge: 300, now: 0, url: 'https://h.example/' })
    expect(result.ok).toBe(false)
  })

  it.each(SCHEMES)('fails closed on a body that is not raw bytes (%s)', (scheme) => {
    const result = createVerifier(scheme).verify({ rawBody: '{}' as unknown as Buffer, headers: {}, secrets: ['x'], maxAge: 300, now: 0, url: 'https://h.example/' })
    expect(result).toEqual({ ok: false, reason: 'invalid_verifier_input' })
  })
})

describe('CREDENTIAL_HEADERS', () => {
  it('names, in lower case, every header that carries a signature or a secret', () => {
    expect([...CREDENTIAL_HEADERS].sort()).toEqual([
      'authorization', 'webhook-signature', 'x-hub-signature-256', 'x-line-signature', 'x-signature-ed25519',
      'x-slack-signature', 'x-telegram-bot-api-secret-token', 'x-twilio-signature', 'x-webhook-signature'
    ])
  })
})

describe('failClosed', () => {
  it('never lets a throw escape and never echoes its message', () => {
    const verifier = failClosed({ verify () { throw new Error('secret-material') } })
    const result = verifier.verify({ rawBody: Buffer.alloc(0), headers: {}, secrets: [], maxAge: 0, now: 0 })
    expect(result).toEqual({ ok: false, reason: 'verifier_error' })
  })

  it('passes results through unchanged', () => {
    const verifier = failClosed({ verify: () => ({ ok: true, replayKey: 'k' }) })
    expect(verifier.verify({ rawBody: Buffer.alloc(0), headers: {}, secrets: [], maxAge: 0, now: 0 })).toEqual({ ok: true, replayKey: 'k' })
  })
})
