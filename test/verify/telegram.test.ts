import { describe, it, expect } from 'vitest'
import type { IncomingHttpHeaders } from 'node:http'
import { telegramVerifier } from '../../src/verify/telegram.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { expectReject } from './expect-reject.ts'
import { loadVector } from './vectors.ts'

const vector = loadVector('telegram-secret-token')
const SECRET = vector.secret
const BODY = Buffer.from(vector.body)
const HEADER = 'x-telegram-bot-api-secret-token'

function verify (headers: IncomingHttpHeaders, secrets: unknown[] = [SECRET]): VerifyResult {
  return telegramVerifier.verify({ rawBody: BODY, headers, secrets: secrets as string[], maxAge: 300, now: 1_700_000_000 })
}

describe('telegram secret token', () => {
  it('accepts the documented header carrying the secret', () => {
    expect(verify(vector.headers)).toEqual({ ok: true, replayKey: null })
  })

  it('does not depend on the body (nothing is signed)', () => {
    const result = telegramVerifier.verify({ rawBody: Buffer.from('{}'), headers: vector.headers, secrets: [SECRET], maxAge: 300, now: 0 })
    expect(result.ok).toBe(true)
  })

  it.each([
    ['one character changed', SECRET.slice(0, -1) + '4'],
    ['one bit of the first character flipped', String.fromCharCode(SECRET.charCodeAt(0) ^ 1) + SECRET.slice(1)],
    ['other case', SECRET.toUpperCase()],
    ['a prefix of the secret', SECRET.slice(0, -1)],
    ['the secret with a suffix', `${SECRET}0`],
    ['another token', 'another-secret-token-0123']
  ])('rejects %s', (_name, value) => {
    expectReject(verify({ [HEADER]: value }), 'signature_mismatch')
  })

  it.each([
    ['empty', '', 'missing_signature'],
    ['a space inside', 'my-Secret token-123', 'malformed_signature'],
    ['a trailing space', `${SECRET} `, 'malformed_signature'],
    ['a trailing newline', `${SECRET}\n`, 'malformed_signature'],
    ['a plus sign', 'my+Secret_token-123', 'malformed_signature'],
    ['non-ASCII', 'my-Sécret_token-123', 'malformed_signature'],
    ['the Node-joined duplicate', `${SECRET}, ${SECRET}`, 'malformed_signature'],
    ['257 characters', 'a'.repeat(257), 'header_too_long']
  ])('rejects a header with %s as %s', (_name, value, reason) => {
    expectReject(verify({ [HEADER]: value }), reason)
  })

  it('accepts the longest token Telegram allows', () => {
    const longest = 'A_-9'.repeat(64)
    expect(verify({ [HEADER]: longest }, [longest]).ok).toBe(true)
  })

  it('rejects a missing or duplicated header', () => {
    expectReject(verify({}), 'missing_signature')
    expectReject(verify({ [HEADER]: [SECRET, SECRET] }), 'duplicate_header')
    expectReject(verify({ [HEADER]: SECRET, 'X-Telegram-Bot-Api-Secret-Token': SECRET }), 'duplicate_header')
  })
})

describe('telegram secrets and rotation', () => {
  const OLD = 'old_secret-token-0123456789'

  it.each([
    ['current first', [SECRET, OLD]],
    ['current second', [OLD, SECRET]],
    ['after unusable entries', ['', 'has space', 7, SECRET]]
  ])('accepts when any secret matches (%s)', (_name, secrets) => {
    expect(verify(vector.headers, secrets).ok).toBe(true)
  })

  it('rejects when no secret matches', () => {
    expectReject(verify(vector.headers, [OLD]), 'signature_mismatch')
  })

  it.each([
    ['no secrets', []],
    ['only secrets Telegram would never send', ['', 'has space', `${SECRET}\n`, 'x'.repeat(257)]]
  ])('never verifies with %s', (_name, secrets) => {
    expectReject(verify(vector.headers, secrets), 'no_usable_secret')
  })

  it('an over-long configured secret cannot be matched even by a header of the same length', () => {
    const long = 'a'.repeat(300)
    expectReject(verify({ [HEADER]: long }, [long]), 'header_too_long')
  })
})
