// src/config/secrets.ts judges each scheme's secret by the bytes its verifier uses; these tests
// live next to the verifiers because the two must agree on what a usable secret is.
import { describe, it, expect } from 'vitest'
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { secretKey } from '../../src/config/secrets.ts'
import { createVerifier } from '../../src/verify/index.ts'
import { loadEd25519Vector, loadVector } from './vectors.ts'

function errorOf (scheme: string, secret: string): string {
  const result = secretKey(scheme, secret)
  if (!('error' in result)) throw new Error(`${scheme} secret was accepted`)
  if (secret.length > 0) expect(result.error).not.toContain(secret)
  return result.error
}

function keyOf (scheme: string, secret: string): Buffer {
  const result = secretKey(scheme, secret)
  if ('error' in result) throw new Error(`${scheme} secret was refused: ${result.error}`)
  return result.key
}

describe('secretKey for text secrets (github, slack, twilio, line)', () => {
  it.each([
    ['github', 'openssl rand -hex 32'],
    ['slack', 'Signing Secret'],
    ['twilio', 'Auth Token'],
    ['line', 'Channel secret'],
    ['hmac-sha256', 'openssl rand -hex 32']
  ])('%s: 15 bytes are refused with a hint to %s; 16 are the key as UTF-8', (scheme, hint) => {
    expect(errorOf(scheme, 'x'.repeat(15))).toMatch(new RegExp(`^is 15 bytes, at least 16 are required: .*${hint}`))
    expect(keyOf(scheme, 'x'.repeat(16))).toEqual(Buffer.from('x'.repeat(16)))
    // Counted in bytes: 8 two-byte characters are 16 bytes.
    expect(keyOf(scheme, 'é'.repeat(8))).toEqual(Buffer.from('é'.repeat(8), 'utf8'))
  })

  it('the published vectors\' secrets are judged as the platforms issue them', () => {
    expect(keyOf('slack', loadVector('slack-docs-slash-command').secret)).toHaveLength(32)
    expect(keyOf('github', loadVector('github-docs-test-values').secret)).toHaveLength(26)
    // Shorter than 16 bytes: fine for a docs example, not for a deployment.
    expect(errorOf('line', loadVector('line-sdk-validate-signature').secret)).toMatch(/^is 11 bytes/)
    expect(errorOf('twilio', loadVector('twilio-json-bodysha256').secret)).toMatch(/^is 5 bytes/)
  })
})

describe('secretKey for teams', () => {
  const vector = loadVector('teams-derived-docs-key')

  it('returns the decoded 32-byte key of a Teams security token', () => {
    expect(keyOf('teams', vector.secret).toString('hex')).toBe(vector.key_hex)
  })

  it('measures the decoded bytes, not the text', () => {
    const sixteen = Buffer.alloc(16, 9).toString('base64')
    expect(keyOf('teams', sixteen)).toHaveLength(16)
    // 20 characters of base64 are only 15 bytes.
    expect(errorOf('teams', Buffer.alloc(15, 9).toString('base64'))).toMatch(/^decodes to 15 bytes, at least 16 are required: .*security token/)
  })

  it.each([
    ['a password', 'correct horse battery staple!'],
    ['a trailing newline', `${vector.secret}\n`],
    ['URL-safe base64', vector.secret.replaceAll('+', '-').replaceAll('/', '_')],
    ['empty', '']
  ])('refuses %s as not base64', (_name, secret) => {
    expect(errorOf('teams', secret)).toMatch(/^is not base64: .*security token/)
  })

  it('a token that loads is one the verifier can use', () => {
    const body = Buffer.from('{"type":"message"}')
    const auth = 'HMAC ' + createHmac('sha256', keyOf('teams', vector.secret)).update(body).digest('base64')
    const result = createVerifier('teams').verify({ rawBody: body, headers: { authorization: auth }, secrets: [vector.secret], maxAge: 300, now: 0 })
    expect(result.ok).toBe(true)
  })
})

describe('secretKey for discord', () => {
  const rfc = loadEd25519Vector('ed25519-rfc8032-test1')

  it('returns the raw 32-byte public key, in either hex case', () => {
    expect(keyOf('discord', rfc.public_key_hex).toString('hex')).toBe(rfc.public_key_hex)
    expect(keyOf('discord', rfc.public_key_hex.toUpperCase()).toString('hex')).toBe(rfc.public_key_hex)
  })

  it('accepts a freshly generated public key', () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex')
    expect(keyOf('discord', hex)).toHaveLength(32)
  })

  it('catches most single mistyped digits: about half of them no longer spell a curve point', () => {
    const typos = [...'0123456789abcdef'].map((digit) => digit + rfc.public_key_hex.slice(1)).filter((hex) => hex !== rfc.public_key_hex)
    const refused = typos.filter((hex) => 'error' in secretKey('discord', hex))
    expect(refused.length).toBeGreaterThan(2)
    expect(refused.length).toBeLessThan(typos.length)
    for (const hex of refused) expect(errorOf('discord', hex)).toMatch(/^is not a valid Ed25519 public key/)
  })

  it.each([
    ['63 digits', rfc.public_key_hex.slice(1), /^is not 64 hex digits/],
    ['the private seed in base64', Buffer.from(rfc.secret, 'hex').toString('base64'), /^is not 64 hex digits/],
    ['a 0x prefix', `0x${rfc.public_key_hex.slice(2)}`, /^is not 64 hex digits/],
    ['a bot token', 'MTA1234567890.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789', /^is not 64 hex digits/],
    ['bytes that are not a curve point', 'ff'.repeat(31) + '7f', /^is not a valid Ed25519 public key/],
    ['the all-zero placeholder', '00'.repeat(32), /^is a placeholder/],
    ['the identity point', '01' + '00'.repeat(31), /^is a placeholder/]
  ])('refuses %s', (_name, secret, message) => {
    const error = errorOf('discord', secret)
    expect(error).toMatch(message)
    expect(error).toContain('Discord developer portal')
  })
})

describe('secretKey for telegram', () => {
  it('accepts Telegram\'s alphabet from 16 up to 256 characters; the key is the text', () => {
    expect(keyOf('telegram', 'my-Secret_token-123')).toEqual(Buffer.from('my-Secret_token-123'))
    expect(keyOf('telegram', 'A_-9'.repeat(64))).toHaveLength(256)
    expect(keyOf('telegram', 'a'.repeat(16))).toHaveLength(16)
  })

  it('refuses fewer than 16 characters even when Telegram would allow them', () => {
    expect(errorOf('telegram', 'a'.repeat(15))).toMatch(/^is 15 characters, at least 16 are required: .*secret_token/)
  })

  it.each([
    ['a space', 'my secret token 0123'],
    ['a plus sign', 'my+secret+token+0123'],
    ['base64 padding', 'bXktc2VjcmV0LXRva2VuLTAx='],
    ['non-ASCII', 'mein-geheimes-tökén-01'],
    ['257 characters', 'a'.repeat(257)],
    ['a trailing newline', `${'a'.repeat(20)}\n`]
  ])('refuses %s with Telegram\'s rule', (_name, secret) => {
    expect(errorOf('telegram', secret)).toMatch(/^must be 1 to 256 characters of A-Z, a-z, 0-9, "_" and "-"/)
  })
})

describe('secretKey never echoes a secret', () => {
  it.each([
    ['github', 'Sh0rt-Zq9'],
    ['teams', 'Zq9-not-base64!!'],
    ['teams', 'WnE5'],
    ['discord', 'Zq9'.repeat(21) + 'Z'],
    ['discord', 'ff'.repeat(31) + '7f'],
    ['telegram', 'Zq9 with space'],
    ['telegram', 'Zq9short']
  ])('%s: %s', (scheme, secret) => {
    errorOf(scheme, secret)
  })
})
