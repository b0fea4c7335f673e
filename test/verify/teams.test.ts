import { describe, it, expect } from 'vitest'
import { createHmac, randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { teamsVerifier } from '../../src/verify/teams.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { expectReject, flipBit } from './expect-reject.ts'
import { loadVector } from './vectors.ts'

const vector = loadVector('teams-derived-docs-key')
const TOKEN = vector.secret
const BODY = Buffer.from('{"type":"message","id":"1485983408511","text":"<at>Bot</at> run tests ✓","from":{"id":"29:1"}}')

function verify (headers: IncomingHttpHeaders, opts: { body?: Buffer, secrets?: unknown[] } = {}): VerifyResult {
  return teamsVerifier.verify({ rawBody: opts.body ?? BODY, headers, secrets: (opts.secrets ?? [TOKEN]) as string[], maxAge: 300, now: 1_700_000_000 })
}

/**
 * Microsoft's outgoing-webhook sample (OfficeDev/Microsoft-Teams-Samples,
 * samples/outgoing-webhook/nodejs/app.js), transcribed: no SDK exists for this scheme. Returns
 * whether the sample would accept `auth` for `payload`.
 */
function microsoftSampleAccepts (sharedSecret: string, payload: string, auth: string): boolean {
  const bufSecret = Buffer.from(sharedSecret, 'base64')
  const msgBuf = Buffer.from(payload, 'utf8')
  const msgHash = 'HMAC ' + createHmac('sha256', bufSecret).update(msgBuf).digest('base64')
  return msgHash === auth
}

function sign (token: string, body: Buffer): string {
  return 'HMAC ' + createHmac('sha256', Buffer.from(token, 'base64')).update(body).digest('base64')
}

describe('teams derived vector', () => {
  const body = Buffer.from(vector.body)

  it('verifies the vector built on the key from Microsoft\'s docs', () => {
    expect(Buffer.from(TOKEN, 'base64').toString('hex')).toBe(vector.key_hex)
    expect(verify(vector.headers, { body })).toEqual({ ok: true, replayKey: null })
  })

  it('rejects the signature made with the token text as the key (the classic bug)', () => {
    const wrong = (vector.notes as string).match(/yields (\S+),/)?.[1] as string
    expect(wrong).toBe(createHmac('sha256', TOKEN).update(body).digest('base64'))
    expectReject(verify({ authorization: `HMAC ${wrong}` }, { body }), 'signature_mismatch')
  })

  it.each([0, 1000, body.length * 8 - 1])('fails with bit %d of the body flipped', (bit) => {
    expectReject(verify(vector.headers, { body: flipBit(body, bit) }), 'signature_mismatch')
  })

  it.each([0, 77, 255])('fails with bit %d of the signature flipped', (bit) => {
    const mac = Buffer.from(vector.expected_signature, 'base64')
    expectReject(verify({ authorization: 'HMAC ' + flipBit(mac, bit).toString('base64') }, { body }), 'signature_mismatch')
  })
})

describe('teams cross-checked with Microsoft\'s sample algorithm', () => {
  it.each([
    ['the docs key', TOKEN],
    ['a fresh 32-byte token', randomBytes(32).toString('base64')]
  ])('both accept a signature made with %s', (_name, token) => {
    const auth = sign(token, BODY)
    expect(microsoftSampleAccepts(token, BODY.toString(), auth)).toBe(true)
    expect(verify({ authorization: auth }, { secrets: [token] }).ok).toBe(true)
  })

  it.each([
    ['a tampered body', sign(TOKEN, BODY), Buffer.from(BODY.toString().replace('tests', 'deploy'))],
    ['another token', sign(randomBytes(32).toString('base64'), BODY), BODY]
  ])('both reject %s', (_name, auth, body) => {
    expect(microsoftSampleAccepts(TOKEN, body.toString(), auth)).toBe(false)
    expect(verify({ authorization: auth }, { body }).ok).toBe(false)
  })
})

describe('teams authorization header', () => {
  const good = sign(TOKEN, BODY)
  const b64 = good.slice('HMAC '.length)

  it.each([
    ['empty', '', 'missing_signature'],
    ['only the scheme word', 'HMAC', 'malformed_signature'],
    ['a lower-case scheme word', `hmac ${b64}`, 'malformed_signature'],
    ['a bearer token', `Bearer ${b64}`, 'malformed_signature'],
    ['two spaces', `HMAC  ${b64}`, 'malformed_signature'],
    ['no scheme word', b64, 'malformed_signature'],
    ['no padding', `HMAC ${b64.slice(0, -1)}`, 'malformed_signature'],
    ['hex', `HMAC ${Buffer.from(b64, 'base64').toString('hex')}`, 'malformed_signature'],
    ['a trailing space', `${good} `, 'malformed_signature'],
    ['the Node-joined duplicate', `${good}, ${good}`, 'malformed_signature'],
    ['over the length cap', good.padEnd(257, 'A'), 'header_too_long']
  ])('rejects %s', (_name, value, reason) => {
    expectReject(verify({ authorization: value }), reason)
  })

  it('rejects a missing or duplicated header', () => {
    expectReject(verify({}), 'missing_signature')
    // Node types `authorization` as a single string, but a hostile adapter could still pass an array.
    expectReject(verify({ authorization: [good, good] } as unknown as IncomingHttpHeaders), 'duplicate_header')
    expectReject(verify({ authorization: good, Authorization: good }), 'duplicate_header')
  })
})

describe('teams secrets and rotation', () => {
  const OLD = randomBytes(32).toString('base64')

  it.each([
    ['current first', [TOKEN, OLD]],
    ['current second', [OLD, TOKEN]],
    ['after tokens that are not base64', ['not base64!', `${TOKEN}\n`, TOKEN]],
    ['written without padding', [TOKEN.replace(/=+$/, '')]]
  ])('accepts when any token verifies (%s)', (_name, secrets) => {
    expect(verify({ authorization: sign(TOKEN, BODY) }, { secrets }).ok).toBe(true)
  })

  it('rejects a signature made with another token', () => {
    expectReject(verify({ authorization: sign(OLD, BODY) }), 'signature_mismatch')
  })

  it.each([
    ['no tokens', []],
    ['only tokens that are not strict base64', ['', 'not base64!', `${TOKEN}\n`, TOKEN.replaceAll('+', '-')]]
  ])('never verifies with %s', (_name, secrets) => {
    expectReject(verify({ authorization: sign(TOKEN, BODY) }, { secrets }), 'no_usable_secret')
  })
})
