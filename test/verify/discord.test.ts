import { describe, it, expect } from 'vitest'
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { verifyKey } from 'discord-interactions'
import { discordVerifier } from '../../src/verify/discord.ts'
import type { VerifyResult } from '../../src/verify/verifier.ts'
import { expectReject, flipBit } from './expect-reject.ts'
import { loadEd25519Vector } from './vectors.ts'

const NOW = 1_700_000_000
const BODY = Buffer.from('{"id":"1234","type":2,"application_id":"99","data":{"name":"run","options":[{"name":"args","value":"tests ✓"}]}}')

// PKCS#8 header for a raw 32-byte Ed25519 seed (RFC 8410), to sign with the RFC 8032 test key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

interface KeyPair { privateKey: KeyObject, publicHex: string }

function rawPublicHex (publicKey: KeyObject): string {
  return Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex')
}

function freshKeyPair (): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, publicHex: rawPublicHex(publicKey) }
}

const rfc = loadEd25519Vector('ed25519-rfc8032-test1')
const rfcPrivate = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(rfc.secret, 'hex')]), format: 'der', type: 'pkcs8' })
const PAIR: KeyPair = { privateKey: rfcPrivate, publicHex: rfc.public_key_hex }

function verify (headers: IncomingHttpHeaders, opts: { body?: Buffer, secrets?: unknown[], now?: number, maxAge?: number } = {}): VerifyResult {
  return discordVerifier.verify({ rawBody: opts.body ?? BODY, headers, secrets: (opts.secrets ?? [PAIR.publicHex]) as string[], maxAge: opts.maxAge ?? 300, now: opts.now ?? NOW })
}

/** Discord's scheme with node:crypto: Ed25519 over `<timestamp><body>`, hex. */
function signed (ts: number | string = NOW, body: Buffer = BODY, pair: KeyPair = PAIR): IncomingHttpHeaders {
  const signature = sign(null, Buffer.concat([Buffer.from(String(ts)), body]), pair.privateKey).toString('hex')
  return { 'x-signature-ed25519': signature, 'x-signature-timestamp': String(ts) }
}

describe('discord with the RFC 8032 test key', () => {
  it('the fixture key pair is consistent and reproduces the published signature of the empty message', () => {
    expect(rawPublicHex(createPublicKey(rfcPrivate))).toBe(rfc.public_key_hex)
    expect(sign(null, Buffer.from(rfc.body), rfcPrivate).toString('hex')).toBe(rfc.expected_signature)
  })

  it('verifies a request signed with it and keys replays on the signed bytes', () => {
    const replayKey = 'discord:' + createHash('sha256').update(String(NOW)).update(BODY).digest('hex')
    expect(verify(signed())).toEqual({ ok: true, replayKey })
  })

  it.each([0, 100, BODY.length * 8 - 1])('fails with bit %d of the body flipped', (bit) => {
    expectReject(verify(signed(), { body: flipBit(BODY, bit) }), 'signature_mismatch')
  })

  it.each([0, 255, 256, 511])('fails with bit %d of the signature flipped', (bit) => {
    const headers = signed()
    const flipped = flipBit(Buffer.from(headers['x-signature-ed25519'] as string, 'hex'), bit).toString('hex')
    expectReject(verify({ ...headers, 'x-signature-ed25519': flipped }), 'signature_mismatch')
  })

  it('rejects a signature moved to another timestamp', () => {
    expectReject(verify({ ...signed(), 'x-signature-timestamp': String(NOW - 1) }), 'signature_mismatch')
  })
})

describe('discord cross-checked with discord-interactions verifyKey', () => {
  const pair = freshKeyPair()

  it('both accept a request signed with a fresh node:crypto key pair', async () => {
    const headers = signed(NOW, BODY, pair)
    expect(await verifyKey(BODY, headers['x-signature-ed25519'] as string, String(NOW), pair.publicHex)).toBe(true)
    expect(verify(headers, { secrets: [pair.publicHex] }).ok).toBe(true)
  })

  type Case = () => { headers: IncomingHttpHeaders, body: Buffer }
  it.each<[string, Case]>([
    ['a tampered body', () => ({ headers: signed(NOW, BODY, pair), body: Buffer.from(BODY.toString().replace('tests', 'deploy')) })],
    ['another key pair', () => ({ headers: signed(NOW, BODY, freshKeyPair()), body: BODY })],
    ['a signature moved to another timestamp', () => ({ headers: { ...signed(NOW, BODY, pair), 'x-signature-timestamp': String(NOW + 1) }, body: BODY })]
  ])('both reject %s', async (_name, make) => {
    const { headers, body } = make()
    expect(await verifyKey(body, headers['x-signature-ed25519'] as string, headers['x-signature-timestamp'] as string, pair.publicHex)).toBe(false)
    expect(verify(headers, { body, secrets: [pair.publicHex] }).ok).toBe(false)
  })

  it('accepts an upper-case hex signature and key, as the SDK does', async () => {
    const headers = signed(NOW, BODY, pair)
    const upper = (headers['x-signature-ed25519'] as string).toUpperCase()
    expect(await verifyKey(BODY, upper, String(NOW), pair.publicHex.toUpperCase())).toBe(true)
    expect(verify({ ...headers, 'x-signature-ed25519': upper }, { secrets: [pair.publicHex.toUpperCase()] }).ok).toBe(true)
  })
})

describe('discord timestamp window', () => {
  it.each([
    ['now - max_age', NOW - 300, true],
    ['now + max_age', NOW + 300, true],
    ['now - max_age - 1', NOW - 301, false],
    ['now + max_age + 1', NOW + 301, false]
  ])('%s → %s', (_name, ts, accepted) => {
    const result = verify(signed(ts))
    if (accepted) expect(result.ok).toBe(true)
    else expectReject(result, 'timestamp_out_of_window')
  })

  it('treats max_age 0 as a zero-second window', () => {
    expect(verify(signed(NOW), { maxAge: 0 }).ok).toBe(true)
    expectReject(verify(signed(NOW + 1), { maxAge: 0 }), 'timestamp_out_of_window')
  })

  it.each([
    ['leading plus', '+1700000000', 'malformed_timestamp'],
    ['decimal', '1700000000.5', 'malformed_timestamp'],
    ['ISO date', '2023-11-14T22:13:20Z', 'malformed_timestamp'],
    ['13 digits', '1700000000000', 'malformed_timestamp'],
    ['over the length cap', '1'.repeat(65), 'header_too_long'],
    ['empty', '', 'missing_timestamp']
  ])('rejects timestamp %s (signed for exactly those bytes) as %s', (_name, ts, reason) => {
    expectReject(verify(signed(ts)), reason)
  })

  it('gives one replay key per signed delivery', () => {
    const a = verify(signed(NOW))
    const b = verify(signed(NOW))
    const c = verify(signed(NOW + 1))
    expect(a.ok && b.ok && c.ok).toBe(true)
    if (a.ok && b.ok && c.ok) {
      expect(a.replayKey).toBe(b.replayKey)
      expect(c.replayKey).not.toBe(a.replayKey)
    }
  })
})

describe('discord signature header', () => {
  const good = signed()['x-signature-ed25519'] as string

  it.each([
    ['empty', '', 'missing_signature'],
    ['127 digits', good.slice(1), 'malformed_signature'],
    ['129 digits', `${good}0`, 'malformed_signature'],
    ['a non-hex digit', `${good.slice(1)}g`, 'malformed_signature'],
    ['base64', Buffer.from(good, 'hex').toString('base64'), 'malformed_signature'],
    ['a 0x prefix', `0x${good.slice(2)}`, 'malformed_signature'],
    // 258 characters: refused by the length cap before the grammar sees it.
    ['the Node-joined duplicate', `${good}, ${good}`, 'header_too_long'],
    ['over the length cap', good.padEnd(257, '0'), 'header_too_long']
  ])('rejects %s', (_name, value, reason) => {
    expectReject(verify({ ...signed(), 'x-signature-ed25519': value }), reason)
  })

  it('rejects missing or duplicated headers', () => {
    expectReject(verify({ 'x-signature-timestamp': String(NOW) }), 'missing_signature')
    expectReject(verify({ 'x-signature-ed25519': good }), 'missing_timestamp')
    expectReject(verify({ ...signed(), 'x-signature-ed25519': [good, good] }), 'duplicate_header')
    expectReject(verify({ ...signed(), 'x-signature-timestamp': [String(NOW), String(NOW)] }), 'duplicate_header')
  })
})

describe('discord public keys and rotation', () => {
  const other = freshKeyPair()

  it.each([
    ['current first', [PAIR.publicHex, other.publicHex]],
    ['current second', [other.publicHex, PAIR.publicHex]],
    ['after unusable keys', ['', 'not hex', '00'.repeat(32), PAIR.publicHex]]
  ])('accepts when any key verifies (%s)', (_name, secrets) => {
    expect(verify(signed(), { secrets }).ok).toBe(true)
  })

  it('rejects a signature from another key pair', () => {
    expectReject(verify(signed(NOW, BODY, other)), 'signature_mismatch')
  })

  it.each([
    ['no keys', []],
    ['a 63-digit key', [PAIR.publicHex.slice(1)]],
    ['the all-zero placeholder (a small-order point)', ['00'.repeat(32)]],
    ['the identity point', ['01' + '00'.repeat(31)]]
  ])('never verifies with %s', (_name, secrets) => {
    expectReject(verify(signed(), { secrets }), 'no_usable_secret')
  })

  it('a key that is not a curve point (refused by the config) verifies nothing either', () => {
    expectReject(verify(signed(), { secrets: ['ff'.repeat(31) + '7f'] }), 'signature_mismatch')
  })
})
