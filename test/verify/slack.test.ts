import { describe, it, expect } from 'vitest'
import { createHash, createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { isValidSlackRequest } from '@slack/bolt'
import { slackVerifier } from '../../src/verify/slack.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { expectReject, flipBit } from './expect-reject.ts'
import { loadVector } from './vectors.ts'

const NOW = 1_700_000_000
const SECRET = 'slack-signing-secret-0123456789ab'
const BODY = Buffer.from('token=x&team_id=T1&user_id=U2&command=%2Frun&text=tests&trigger_id=1.2.3')

function verify (headers: IncomingHttpHeaders, opts: { body?: Buffer, secrets?: unknown[], now?: number, maxAge?: number } = {}): VerifyResult {
  return slackVerifier.verify({ rawBody: opts.body ?? BODY, headers, secrets: (opts.secrets ?? [SECRET]) as string[], maxAge: opts.maxAge ?? 300, now: opts.now ?? NOW })
}

/** Independent of src/: Slack's documented basestring `v0:<ts>:<body>`, HMAC-SHA256, lower-case hex. */
function slackSignature (secret: string, ts: string, body: Buffer): string {
  return 'v0=' + createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`v0:${ts}:`), body])).digest('hex')
}

function signed (ts: number | string = NOW, body: Buffer = BODY, secret = SECRET): IncomingHttpHeaders {
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSignature(secret, String(ts), body) }
}

describe('slack published vector', () => {
  const vector = loadVector('slack-docs-slash-command')
  const body = Buffer.from(vector.body)
  const now = vector.timestamp as number
  const opts = { body, secrets: [vector.secret], now }

  it('verifies the Slack docs example with the headers as documented', () => {
    const replayKey = 'slack:' + createHash('sha256').update(`${now}:`).update(body).digest('hex')
    expect(verify(vector.headers, opts)).toEqual({ ok: true, replayKey })
  })

  it.each([0, 99, 1000, body.length * 8 - 1])('fails with bit %d of the body flipped', (bit) => {
    expectReject(verify(vector.headers, { ...opts, body: flipBit(body, bit) }), 'signature_mismatch')
  })

  it.each([0, 100, 255])('fails with bit %d of the signature flipped', (bit) => {
    const mac = Buffer.from(vector.expected_signature.slice('v0='.length), 'hex')
    const headers = { ...vector.headers, 'X-Slack-Signature': 'v0=' + flipBit(mac, bit).toString('hex') }
    expectReject(verify(headers, opts), 'signature_mismatch')
  })
})

describe('slack cross-checked with @slack/bolt verifySlackRequest', () => {
  function bolt (headers: IncomingHttpHeaders, body: Buffer, nowSeconds = NOW): boolean {
    return isValidSlackRequest({
      signingSecret: SECRET,
      body: body.toString('utf8'),
      headers: { 'x-slack-signature': headers['x-slack-signature'] as string, 'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) },
      nowMilliseconds: nowSeconds * 1000
    })
  }

  it.each([
    ['a slash command', BODY],
    ['an Events API JSON body', Buffer.from('{"type":"event_callback","event_id":"Ev1","event":{"text":"héllo ✓"}}')]
  ])('both accept a node:crypto signature over %s', (_name, body) => {
    const headers = signed(NOW, body)
    expect(bolt(headers, body)).toBe(true)
    expect(verify(headers, { body }).ok).toBe(true)
  })

  it.each([
    ['a tampered body', signed(), Buffer.from(BODY.toString().replace('tests', 'deploy'))],
    ['another secret', signed(NOW, BODY, 'other-signing-secret-0123456789'), BODY],
    ['a stale timestamp', signed(NOW - 301), BODY],
    ['a signature moved to another timestamp', { ...signed(), 'x-slack-request-timestamp': String(NOW - 1) }, BODY],
    ['upper-case hex', { ...signed(), 'x-slack-signature': (signed()['x-slack-signature'] as string).toUpperCase().replace('V0=', 'v0=') }, BODY]
  ])('both reject %s', (_name, headers, body) => {
    expect(bolt(headers, body)).toBe(false)
    expect(verify(headers, { body }).ok).toBe(false)
  })
})

describe('slack timestamp window', () => {
  it.each([
    ['now - max_age', NOW - 300, true],
    ['now + max_age', NOW + 300, true],
    ['now - max_age - 1', NOW - 301, false],
    // Bolt only refuses stale timestamps; a signed timestamp from the future is refused here too.
    ['now + max_age + 1', NOW + 301, false]
  ])('%s → %s', (_name, ts, accepted) => {
    const result = verify(signed(ts))
    if (accepted) expect(result.ok).toBe(true)
    else expectReject(result, 'timestamp_out_of_window')
  })

  it('treats max_age 0 as a zero-second window, never as "no timestamp"', () => {
    expect(verify(signed(NOW), { maxAge: 0 }).ok).toBe(true)
    expectReject(verify(signed(NOW - 1), { maxAge: 0 }), 'timestamp_out_of_window')
  })

  it('gives one replay key per signed delivery', () => {
    const a = verify(signed(NOW))
    const b = verify(signed(NOW))
    const c = verify(signed(NOW - 1))
    expect(a.ok && b.ok && c.ok).toBe(true)
    if (a.ok && b.ok && c.ok) {
      expect(a.replayKey).toBe(b.replayKey)
      expect(c.replayKey).not.toBe(a.replayKey)
      expect(a.replayKey).toMatch(/^slack:[0-9a-f]{64}$/)
    }
  })

  it.each([
    ['leading plus', '+1700000000', 'malformed_timestamp'],
    ['decimal', '1700000000.5', 'malformed_timestamp'],
    ['milliseconds', '1700000000000', 'malformed_timestamp'],
    ['trailing space', '1700000000 ', 'malformed_timestamp'],
    ['Node-joined duplicate', '1700000000, 1700000000', 'malformed_timestamp'],
    ['over the length cap', '1'.repeat(65), 'header_too_long'],
    ['empty', '', 'missing_timestamp']
  ])('rejects timestamp %s (signed for exactly those bytes) as %s', (_name, ts, reason) => {
    expectReject(verify(signed(ts)), reason)
  })

  it('rejects a missing timestamp', () => {
    expectReject(verify({ 'x-slack-signature': signed()['x-slack-signature'] }), 'missing_timestamp')
  })
})

describe('slack signature header', () => {
  const good = signed()['x-slack-signature'] as string
  const hex = good.slice('v0='.length)

  it.each([
    ['empty', '', 'missing_signature'],
    ['bare hex', hex, 'malformed_signature'],
    ['another version', `v1=${hex}`, 'malformed_signature'],
    ['upper-case version', `V0=${hex}`, 'malformed_signature'],
    ['63 digits', `v0=${hex.slice(1)}`, 'malformed_signature'],
    ['a trailing newline', `${good}\n`, 'malformed_signature'],
    ['the Node-joined duplicate', `${good}, ${good}`, 'malformed_signature'],
    ['over the length cap', good.padEnd(257, '0'), 'header_too_long']
  ])('rejects %s', (_name, value, reason) => {
    expectReject(verify({ ...signed(), 'x-slack-signature': value }), reason)
  })

  it('rejects a missing signature', () => {
    expectReject(verify({ 'x-slack-request-timestamp': String(NOW) }), 'missing_signature')
  })

  it.each([
    ['signature', 'x-slack-signature'],
    ['timestamp', 'x-slack-request-timestamp']
  ])('rejects a duplicated %s header', (_name, header) => {
    const headers = signed()
    expectReject(verify({ ...headers, [header]: [headers[header] as string, headers[header] as string] }), 'duplicate_header')
  })
})

describe('slack secrets and rotation', () => {
  const OLD = 'old-slack-signing-secret-012345'

  it.each([
    ['current first', [SECRET, OLD]],
    ['current second', [OLD, SECRET]],
    ['after unusable entries', ['', null, SECRET]]
  ])('accepts when any secret verifies (%s)', (_name, secrets) => {
    expect(verify(signed(), { secrets }).ok).toBe(true)
  })

  it('rejects when no secret verifies', () => {
    expectReject(verify(signed(), { secrets: [OLD] }), 'signature_mismatch')
  })

  it('never verifies without a usable secret', () => {
    expectReject(verify(signed(NOW, BODY, ''), { secrets: [''] }), 'no_usable_secret')
  })

  it('fails closed on a NaN clock', () => {
    expectReject(verify(signed(), { now: Number.NaN }), 'invalid_verifier_input')
  })
})
