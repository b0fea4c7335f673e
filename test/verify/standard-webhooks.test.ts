import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { Webhook } from 'standardwebhooks'
import { standardWebhooksVerifier } from '../../src/verify/standard-webhooks.ts'
import { VERIFY_REASONS } from '../../src/verify/reasons.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { signStandardWebhooks } from '../helpers/sign.ts'
import { loadVector } from './vectors.ts'

const vector = loadVector('standardwebhooks-sign-function')
const SECRET = vector.secret
const ID = vector.headers['webhook-id'] as string
const TS = vector.timestamp as number
const BODY = Buffer.from(vector.body)

function verify (headers: IncomingHttpHeaders, opts: { body?: Buffer, secrets?: string[], maxAge?: number, now?: number } = {}): VerifyResult {
  return standardWebhooksVerifier.verify({
    rawBody: opts.body ?? BODY,
    headers,
    secrets: opts.secrets ?? [SECRET],
    maxAge: opts.maxAge ?? 300,
    now: opts.now ?? TS
  })
}

function signed (opts: { id?: string, ts?: number | string, body?: Buffer, secret?: string } = {}): IncomingHttpHeaders {
  const id = opts.id ?? ID
  const ts = opts.ts ?? TS
  return {
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signStandardWebhooks(opts.secret ?? SECRET, id, ts, opts.body ?? BODY)
  }
}

function expectReject (result: VerifyResult, reason: string): void {
  expect(result).toEqual({ ok: false, reason })
  expect(VERIFY_REASONS).toContain(reason)
}

function freshSecret (): string {
  return 'whsec_' + randomBytes(32).toString('base64')
}

/** A well-formed v1 entry that no secret produced. */
function wrongEntry (): string {
  return 'v1,' + randomBytes(32).toString('base64')
}

describe('standard-webhooks known answer', () => {
  it('verifies the published vector and keys replays on the signed id', () => {
    expect(verify(vector.headers)).toEqual({ ok: true, replayKey: `standard-webhooks:${ID}` })
  })

  it('the oracle reproduces the vector', () => {
    expect(signStandardWebhooks(SECRET, ID, TS, vector.body)).toBe(vector.expected_signature)
  })

  it('verifies with the secret given without the whsec_ prefix (base64 all the same, as the SDK does)', () => {
    expect(verify(vector.headers, { secrets: [SECRET.slice('whsec_'.length)] }).ok).toBe(true)
  })

  it('rejects the vector with one body byte changed', () => {
    expectReject(verify(vector.headers, { body: Buffer.from(vector.body.replace('2432', '2433')) }), 'signature_mismatch')
  })
})

describe('standard-webhooks against the official standardwebhooks package', () => {
  it.each([
    ['JSON', '{"text":"/run tests"}'],
    ['non-ASCII', '{"text":"héllo ✓ 日本 🚀"}'],
    ['empty', '']
  ])('verifies what Webhook.sign() produces (%s)', (_name, payload) => {
    const secret = freshSecret()
    const now = 1_800_000_000
    const signature = new Webhook(secret).sign('msg_differential', new Date(now * 1000), payload)
    const headers = { 'webhook-id': 'msg_differential', 'webhook-timestamp': String(now), 'webhook-signature': signature }
    expect(verify(headers, { body: Buffer.from(payload, 'utf8'), secrets: [secret], now })).toEqual({ ok: true, replayKey: 'standard-webhooks:msg_differential' })
  })

  it('and the SDK verifies what the oracle produces (the oracle is not wrong in the same way as src)', () => {
    const secret = freshSecret()
    const now = Math.floor(Date.now() / 1000)
    const headers = { 'webhook-id': 'msg_x', 'webhook-timestamp': String(now), 'webhook-signature': signStandardWebhooks(secret, 'msg_x', now, '{"a":1}') }
    expect(() => new Webhook(secret).verify('{"a":1}', headers, { jsonParse: false })).not.toThrow()
  })

  // Known, intended disagreement: the SDK signs parseInt() of the header, we sign the header bytes.
  it('rejects an SDK signature re-sent with a zero-padded timestamp the SDK would accept', () => {
    const signature = new Webhook(SECRET).sign(ID, new Date(TS * 1000), vector.body)
    expect(signature).toBe(vector.expected_signature)
    const headers = { 'webhook-id': ID, 'webhook-timestamp': `0${TS}`, 'webhook-signature': signature }
    expectReject(verify(headers), 'signature_mismatch')
  })
})

describe('standard-webhooks timestamps', () => {
  it.each([
    ['now - max_age', TS - 300, true],
    ['now + max_age', TS + 300, true],
    ['now - max_age - 1', TS - 301, false],
    ['now + max_age + 1', TS + 301, false]
  ])('window boundary %s → %s', (_name, ts, accepted) => {
    const result = verify(signed({ ts }))
    if (accepted) expect(result.ok).toBe(true)
    else expectReject(result, 'timestamp_out_of_window')
  })

  it('max_age 0 is a zero-second window, not "no timestamp"', () => {
    expect(verify(signed(), { maxAge: 0 }).ok).toBe(true)
    expectReject(verify(signed({ ts: TS - 1 }), { maxAge: 0 }), 'timestamp_out_of_window')
    expectReject(verify(signed({ ts: TS + 1 }), { maxAge: 0 }), 'timestamp_out_of_window')
  })

  it('accepts a zero-padded timestamp when that is what was signed (the header bytes are signed)', () => {
    expect(verify(signed({ ts: `0${TS}` })).ok).toBe(true)
  })

  // The SDK accepts the first three; each is signed over its exact header bytes.
  it.each([
    ['trailing garbage', `${TS}abc`, 'malformed_timestamp'],
    ['leading spaces', `   ${TS}`, 'malformed_timestamp'],
    ['decimal', `${TS}.999`, 'malformed_timestamp'],
    ['leading plus', `+${TS}`, 'malformed_timestamp'],
    ['12.5', '12.5', 'malformed_timestamp'],
    ['hex', '0x10', 'malformed_timestamp'],
    ['exponent', '1.6e9', 'malformed_timestamp'],
    ['13 digits', `${TS}000`, 'malformed_timestamp'],
    ['negative', '-1', 'malformed_timestamp'],
    ['over the length cap', '1'.repeat(65), 'header_too_long'],
    ['empty', '', 'missing_timestamp']
  ])('rejects timestamp %s (%j) as %s', (_name, ts, reason) => {
    expectReject(verify(signed({ ts })), reason)
  })

  it('rejects a signature moved to another timestamp', () => {
    const headers = { ...signed(), 'webhook-timestamp': String(TS + 1) }
    expectReject(verify(headers), 'signature_mismatch')
  })
})

describe('standard-webhooks ids', () => {
  it.each([
    ['a UUID', '6f1c1c1e-7d0b-4b8e-9d43-1d2b8f6f0a11'],
    ['punctuation', 'evt_1:a/b+c=d~!'],
    ['256 characters', 'm'.repeat(256)]
  ])('accepts %s', (_name, id) => {
    expect(verify(signed({ id }))).toEqual({ ok: true, replayKey: `standard-webhooks:${id}` })
  })

  it.each([
    ['a dot (makes id.ts.body ambiguous)', 'msg.1', 'malformed_id'],
    ['a space', 'msg 1', 'malformed_id'],
    ['a tab', 'msg\t1', 'malformed_id'],
    ['a control character', 'msg\u001b[31m', 'malformed_id'],
    ['non-ASCII', 'msg_é', 'malformed_id'],
    ['257 characters', 'm'.repeat(257), 'header_too_long'],
    ['empty', '', 'missing_id']
  ])('rejects an id with %s', (_name, id, reason) => {
    expectReject(verify(signed({ id })), reason)
  })

  it('rejects a signature moved to another id', () => {
    expectReject(verify({ ...signed(), 'webhook-id': 'msg_other' }), 'signature_mismatch')
  })
})

describe('standard-webhooks signature header', () => {
  const good = vector.expected_signature

  it('rejects a missing signature', () => {
    const { 'webhook-signature': _dropped, ...headers } = signed()
    expectReject(verify(headers), 'missing_signature')
  })

  it.each([
    ['the valid one last of 8', [...Array.from({ length: 7 }, wrongEntry), good]],
    ['the valid one first of 8', [good, ...Array.from({ length: 7 }, wrongEntry)]],
    ['the valid one in the middle', [wrongEntry(), good, wrongEntry()]],
    ['other versions around it', [`v1a,${randomBytes(64).toString('base64')}`, good, 'v2,AAAA']]
  ])('accepts a list with %s', (_name, entries) => {
    expect(verify({ ...signed(), 'webhook-signature': entries.join(' ') }).ok).toBe(true)
  })

  it('considers at most 8 entries: 9 are refused even if one is valid', () => {
    const entries = [good, ...Array.from({ length: 8 }, wrongEntry)]
    expectReject(verify({ ...signed(), 'webhook-signature': entries.join(' ') }), 'too_many_signatures')
  })

  it('rejects a list of wrong signatures', () => {
    expectReject(verify({ ...signed(), 'webhook-signature': [wrongEntry(), wrongEntry()].join(' ') }), 'signature_mismatch')
  })

  it('rejects a header with only other versions', () => {
    expectReject(verify({ ...signed(), 'webhook-signature': `v1a,${randomBytes(64).toString('base64')}` }), 'no_supported_signature')
  })

  const b64 = good.slice('v1,'.length)
  // Flip the two padding bits of the last character: same bytes, second spelling.
  const lastIndex = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(b64.at(-2) as string)
  const nonCanonical = b64.slice(0, -2) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[lastIndex ^ 1] + '='

  it.each([
    ['a trailing comma', `${good},`],
    ['a missing value', 'v1,'],
    ['a bare version', 'v1'],
    ['no padding', `v1,${b64.slice(0, -1)}`],
    ['a truncated signature', `v1,${b64.slice(4)}`],
    ['a hex signature', `v1,${Buffer.from(b64, 'base64').toString('hex')}`],
    ['URL-safe base64', `v1,${b64.replaceAll('+', '-').replaceAll('/', '_')}`],
    ['non-canonical padding bits', `v1,${nonCanonical}`],
    ['an upper-case version', `V1,${b64}`],
    ['two spaces between entries', `${good}  ${wrongEntry()}`],
    ['a leading space', ` ${good}`],
    ['the Node-joined duplicate form', `${good}, ${good}`],
    ['a v1 entry with an equals sign instead of a comma', `v1=${b64}`],
    ['non-ASCII', `${good} v1,é✓`]
  ])('rejects a header with %s as malformed', (_name, value) => {
    expectReject(verify({ ...signed(), 'webhook-signature': value }), 'malformed_signature')
  })

  it('rejects a header over 2 KiB before parsing it', () => {
    expectReject(verify({ ...signed(), 'webhook-signature': `${good} `.repeat(60).trim() }), 'header_too_long')
  })

  it.each([
    ['signature', 'webhook-signature'],
    ['id', 'webhook-id'],
    ['timestamp', 'webhook-timestamp']
  ])('rejects a duplicated %s header (array value)', (_name, header) => {
    const headers = signed()
    expectReject(verify({ ...headers, [header]: [headers[header] as string, headers[header] as string] }), 'duplicate_header')
  })
})

describe('standard-webhooks secrets and rotation', () => {
  it.each([
    ['new secret first', () => [SECRET, freshSecret()]],
    ['new secret second', () => [freshSecret(), SECRET]],
    ['after an unusable secret', () => ['whsec_!!not base64!!', SECRET]]
  ])('accepts when any secret verifies (%s)', (_name, secrets) => {
    expect(verify(signed(), { secrets: secrets() }).ok).toBe(true)
  })

  it('rejects when no secret verifies', () => {
    expectReject(verify(signed(), { secrets: [freshSecret(), freshSecret()] }), 'signature_mismatch')
  })

  it.each([
    ['no secrets', []],
    ['only empty secrets', ['', 'whsec_']],
    ['only invalid base64', ['whsec_!!!!', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n']]
  ])('never verifies with %s', (_name, secrets) => {
    expectReject(verify(signed(), { secrets }), 'no_usable_secret')
  })
})
