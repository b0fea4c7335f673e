import { describe, it, expect } from 'vitest'
import { generateKeyPairSync, randomBytes, verify } from 'node:crypto'
import fc from 'fast-check'
import { isCurvePoint, parseEd25519PublicKey } from '../../src/verify/ed25519-public-key.ts'
import { loadEd25519Vector } from './vectors.ts'

// An independent oracle: RFC 8032 §5.1.3 point decoding step by step (candidate root
// x = (u/v)^((p+3)/8), then the two checks), not Euler's criterion as the implementation uses.
const p = 2n ** 255n - 19n
function mod (a: bigint): bigint { return ((a % p) + p) % p }
function pow (b: bigint, e: bigint): bigint {
  let r = 1n
  for (b = mod(b); e > 0n; e >>= 1n, b = (b * b) % p) if ((e & 1n) === 1n) r = (r * b) % p
  return r
}
const d = mod(-121665n * pow(121666n, p - 2n))
function rfcDecodes (hex: string): boolean {
  const bytes = Buffer.from(hex, 'hex')
  const x0 = (bytes[31] as number) >> 7
  bytes[31] = (bytes[31] as number) & 0x7f
  const y = BigInt('0x' + Buffer.from(bytes).reverse().toString('hex'))
  if (y >= p) return false
  const u = mod(y * y - 1n)
  const v = mod(d * y * y + 1n)
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (p - 5n) / 8n))
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) !== mod(-u)) return false
    x = mod(x * pow(2n, (p - 1n) / 4n))
  }
  return !(x === 0n && x0 === 1)
}

const rfc = loadEd25519Vector('ed25519-rfc8032-test1')

describe('parseEd25519PublicKey', () => {
  it('loads the RFC 8032 key so that it verifies the published signature', () => {
    const parsed = parseEd25519PublicKey(rfc.public_key_hex)
    expect(isCurvePoint(Buffer.from(rfc.public_key_hex, 'hex'))).toBe(true)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.raw.toString('hex')).toBe(rfc.public_key_hex)
    expect(parsed.key.asymmetricKeyType).toBe('ed25519')
    expect(verify(null, Buffer.from(rfc.body), parsed.key, Buffer.from(rfc.expected_signature, 'hex'))).toBe(true)
  })

  it('loads every freshly generated public key, in either hex case', () => {
    for (let i = 0; i < 50; i++) {
      const { publicKey } = generateKeyPairSync('ed25519')
      const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex')
      expect(parseEd25519PublicKey(hex).ok).toBe(true)
      expect(parseEd25519PublicKey(hex.toUpperCase()).ok).toBe(true)
      expect(isCurvePoint(Buffer.from(hex, 'hex'))).toBe(true)
    }
  })

  it.each([
    ['identity (order 1)', '0100000000000000000000000000000000000000000000000000000000000000'],
    ['order 2', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['all zero (order 4)', '0000000000000000000000000000000000000000000000000000000000000000'],
    ['order 4, sign bit set', '0000000000000000000000000000000000000000000000000000000000000080'],
    ['order 8', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
    ['order 8, sign bit set', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'],
    ['order 8', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
    ['order 8, sign bit set', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85']
  ])('refuses the small-order point %s', (_name, hex) => {
    expect(rfcDecodes(hex)).toBe(true)
    expect(isCurvePoint(Buffer.from(hex, 'hex'))).toBe(true)
    expect(parseEd25519PublicKey(hex)).toEqual({ ok: false, problem: 'small_order' })
  })

  it.each([
    ['y = p (a second spelling of y = 0)', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['y = 2^255 - 1', 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['x = 0 with the sign bit set', '0100000000000000000000000000000000000000000000000000000000000080']
  ])('isCurvePoint refuses %s', (_name, hex) => {
    expect(rfcDecodes(hex)).toBe(false)
    expect(isCurvePoint(Buffer.from(hex, 'hex'))).toBe(false)
  })

  it('isCurvePoint agrees with the RFC 8032 decoding on random bytes (about half are not points)', () => {
    let points = 0
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
      const decodes = rfcDecodes(Buffer.from(bytes).toString('hex'))
      if (decodes) points++
      expect(isCurvePoint(Buffer.from(bytes))).toBe(decodes)
    }), { numRuns: 400 })
    expect(points).toBeGreaterThan(100)
    expect(points).toBeLessThan(300)
  })

  it.each([
    ['63 digits', rfc.public_key_hex.slice(1)],
    ['65 digits', `${rfc.public_key_hex}0`],
    ['a non-hex digit', `${rfc.public_key_hex.slice(1)}g`],
    ['a 0x prefix', `0x${rfc.public_key_hex}`],
    ['a trailing newline', `${rfc.public_key_hex}\n`],
    ['base64', Buffer.from(rfc.public_key_hex, 'hex').toString('base64')],
    ['empty', ''],
    ['not a string', 42],
    ['16 bytes of hex', randomBytes(16).toString('hex')]
  ])('refuses %s as not hex', (_name, value) => {
    expect(parseEd25519PublicKey(value)).toEqual({ ok: false, problem: 'not_hex' })
  })
})
