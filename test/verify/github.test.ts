import { describe, it, expect } from 'vitest'
import { createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { githubVerifier } from '../../src/verify/github.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { expectReject, flipBit } from './expect-reject.ts'
import { loadVector } from './vectors.ts'

const SECRET = 'github-webhook-secret-0123456789'
const BODY = Buffer.from('{"action":"completed","workflow_run":{"conclusion":"failure"}}')

function verify (headers: IncomingHttpHeaders, opts: { body?: Buffer, secrets?: unknown[] } = {}): VerifyResult {
  return githubVerifier.verify({ rawBody: opts.body ?? BODY, headers, secrets: (opts.secrets ?? [SECRET]) as string[], maxAge: 300, now: 1_700_000_000 })
}

/** Independent of src/: HMAC-SHA256 of the raw body, lower-case hex. */
function signed (body: Buffer = BODY, secret = SECRET): IncomingHttpHeaders {
  return { 'x-hub-signature-256': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex') }
}

describe('github published vector', () => {
  const vector = loadVector('github-docs-test-values')
  const body = Buffer.from(vector.body)

  it('verifies the GitHub docs test values with the headers as documented', () => {
    expect(verify(vector.headers, { body, secrets: [vector.secret] })).toEqual({ ok: true, replayKey: null })
  })

  it.each([0, 7, 50, 103])('fails with bit %d of the body flipped', (bit) => {
    expectReject(verify(vector.headers, { body: flipBit(body, bit), secrets: [vector.secret] }), 'signature_mismatch')
  })

  it.each([0, 9, 128, 255])('fails with bit %d of the signature flipped', (bit) => {
    const mac = Buffer.from(vector.expected_signature.slice('sha256='.length), 'hex')
    expectReject(verify({ 'x-hub-signature-256': 'sha256=' + flipBit(mac, bit).toString('hex') }, { body, secrets: [vector.secret] }), 'signature_mismatch')
  })
})

describe('github with @octokit/webhooks-methods', () => {
  it.each([
    ['JSON', '{"zen":"Design for failure.","hook_id":1}'],
    ['UTF-8 text', '{"comment":"héllo ✓ 日本 🚀"}'],
    // GitHub escapes control characters with upper-case hex; only the raw bytes verify.
    ['escaped control characters', '{"message":"\\u001B[31mred"}']
  ])('verifies a signature made by octokit sign() (%s)', async (_name, payload) => {
    const signature = await octokitSign(SECRET, payload)
    expect(verify({ 'x-hub-signature-256': signature }, { body: Buffer.from(payload) })).toEqual({ ok: true, replayKey: null })
  })

  it('agrees with octokit verify() on accept and reject', async () => {
    const payload = BODY.toString()
    const good = await octokitSign(SECRET, payload)
    const cases: Array<[string, string, string]> = [
      ['as signed', payload, good],
      ['body changed', payload.replace('failure', 'success'), good],
      ['other secret', payload, await octokitSign('another-secret-0123456789', payload)],
      ['upper-case digest', payload, 'sha256=' + good.slice('sha256='.length).toUpperCase()]
    ]
    for (const [, body, signature] of cases) {
      const ours = verify({ 'x-hub-signature-256': signature }, { body: Buffer.from(body) }).ok
      expect(ours).toBe(await octokitVerify(SECRET, body, signature))
    }
    expect(await octokitVerify(SECRET, payload, good)).toBe(true)
  })
})

describe('github secrets and rotation', () => {
  const OLD = 'previous-github-secret-012345'

  it.each([
    ['current first', [SECRET, OLD]],
    ['current second', [OLD, SECRET]],
    ['after an empty and a non-string secret', ['', 42, SECRET]]
  ])('accepts when any secret verifies (%s)', (_name, secrets) => {
    expect(verify(signed(), { secrets }).ok).toBe(true)
  })

  it('rejects a signature made with another secret', () => {
    expectReject(verify(signed(BODY, 'not-the-secret-0123456789'), { secrets: [SECRET, OLD] }), 'signature_mismatch')
  })

  it.each([
    ['no secrets', []],
    ['only an empty secret', ['']]
  ])('never verifies with %s, not even a signature made with the empty key', (_name, secrets) => {
    expectReject(verify(signed(BODY, ''), { secrets }), 'no_usable_secret')
  })
})

describe('github signature header', () => {
  const hex = createHmac('sha256', SECRET).update(BODY).digest('hex')

  it('accepts any spelling of the header name', () => {
    expect(verify({ 'X-Hub-Signature-256': `sha256=${hex}` }).ok).toBe(true)
  })

  it('rejects a body tampered after signing', () => {
    expectReject(verify(signed(), { body: Buffer.from(BODY.toString().replace('failure', 'success')) }), 'signature_mismatch')
  })

  it('does not fall back to the legacy SHA-1 header', () => {
    const sha1 = 'sha1=' + createHmac('sha1', SECRET).update(BODY).digest('hex')
    expectReject(verify({ 'x-hub-signature': sha1 }), 'missing_signature')
  })

  it.each([
    ['empty', '', 'missing_signature'],
    ['bare hex', hex, 'malformed_signature'],
    ['upper-case hex (octokit refuses it too)', `sha256=${hex.toUpperCase()}`, 'malformed_signature'],
    ['upper-case prefix', `SHA256=${hex}`, 'malformed_signature'],
    ['sha1 prefix', `sha1=${hex.slice(0, 40)}`, 'malformed_signature'],
    ['63 digits', `sha256=${hex.slice(1)}`, 'malformed_signature'],
    ['65 digits', `sha256=${hex}0`, 'malformed_signature'],
    ['a trailing newline', `sha256=${hex}\n`, 'malformed_signature'],
    ['base64', `sha256=${Buffer.from(hex, 'hex').toString('base64')}`, 'malformed_signature'],
    ['the Node-joined duplicate', `sha256=${hex}, sha256=${hex}`, 'malformed_signature'],
    ['over the length cap', `sha256=${hex}`.padEnd(257, '0'), 'header_too_long']
  ])('rejects %s', (_name, value, reason) => {
    expectReject(verify({ 'x-hub-signature-256': value }), reason)
  })

  it('rejects a missing header', () => {
    expectReject(verify({}), 'missing_signature')
  })

  it.each([
    ['an array', { 'x-hub-signature-256': [`sha256=${hex}`, `sha256=${hex}`] }],
    ['an array of one', { 'x-hub-signature-256': [`sha256=${hex}`] }],
    ['two spellings', { 'x-hub-signature-256': `sha256=${hex}`, 'X-Hub-Signature-256': `sha256=${hex}` }]
  ])('rejects a duplicated header (%s)', (_name, headers) => {
    expectReject(verify(headers as IncomingHttpHeaders), 'duplicate_header')
  })

  it('rejects a non-string header value', () => {
    expectReject(verify({ 'x-hub-signature-256': 42 as unknown as string }), 'malformed_header')
  })

  it('fails closed when the body is not raw bytes', () => {
    const result = githubVerifier.verify({ rawBody: BODY.toString() as unknown as Buffer, headers: signed(), secrets: [SECRET], maxAge: 300, now: 0 })
    expectReject(result, 'invalid_verifier_input')
  })
})
