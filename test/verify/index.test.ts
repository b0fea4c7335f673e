import { describe, it, expect } from 'vitest'
import type { IncomingHttpHeaders } from 'node:http'
import { createVerifier } from '../../src/verify/index.ts'
import { failClosed } from '../../src/verify/fail-closed.ts'
import { loadVector } from './vectors.ts'

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

  it.each(['', 'nope', 'HMAC-SHA256', 'hmac-sha256 ', 'standard_webhooks', '__proto__', 'constructor'])('throws for unknown scheme %j', (scheme) => {
    expect(() => createVerifier(scheme)).toThrow(/unknown signature scheme/)
  })

  it('turns an exception from hostile input into a rejection', () => {
    const hostile = new Proxy({}, { ownKeys () { throw new Error('boom') } }) as IncomingHttpHeaders
    for (const scheme of ['hmac-sha256', 'standard-webhooks']) {
      const result = createVerifier(scheme).verify({ rawBody: Buffer.alloc(0), headers: hostile, secrets: ['x'], maxAge: 300, now: 0 })
      expect(result).toEqual({ ok: false, reason: 'verifier_error' })
    }
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
