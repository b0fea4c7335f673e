// A Discord caller's secret is the application's Ed25519 public key, 64 hex digits. node:crypto
// loads any 32 bytes as an Ed25519 key, so the checks a key deserves happen here:
// - small-order points are refused wherever a key is loaded. They are the keys a signature can be
//   forged for without any private key in lax Ed25519 implementations, and 00…00, the obvious
//   placeholder, is one of them;
// - whether the bytes encode a curve point at all (RFC 8032 §5.1.3) is checked when the config is
//   loaded: about half of all 32-byte strings do not, so most typos are caught there. The verifier
//   skips that check (a modular exponentiation per request) because OpenSSL refuses every
//   signature under a key that does not decode, so such a key can never verify anything.
import { createPublicKey, type KeyObject } from 'node:crypto'

const HEX_KEY = /^[0-9a-fA-F]{64}$/
// DER SubjectPublicKeyInfo header for id-Ed25519 (RFC 8410) and a 32-byte BIT STRING.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const P = 2n ** 255n - 19n
// Curve constant d = -121665/121666 mod p.
const D = 0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3n

// Canonical encodings of the eight points of order 1, 2, 4 and 8 (every other spelling of them
// fails decoding: y >= p, or x = 0 with the sign bit set).
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'
])

export type Ed25519KeyResult =
  | { ok: true, key: KeyObject, raw: Buffer }
  | { ok: false, problem: 'not_hex' | 'small_order' }

function powMod (base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = base % P
  for (let e = exponent; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = (result * b) % P
    b = (b * b) % P
  }
  return result
}

/** RFC 8032 §5.1.3: y < p, and x² = u/v with u = y² − 1, v = d·y² + 1 has a root (x = 0 only with sign bit 0). */
export function isCurvePoint (raw: Buffer): boolean {
  if (raw.length !== 32) return false
  const sign = (raw[31] as number) >> 7
  const yBytes = Buffer.from(raw)
  yBytes[31] = (yBytes[31] as number) & 0x7f
  const y = BigInt('0x' + yBytes.reverse().toString('hex'))
  if (y >= P) return false
  const y2 = (y * y) % P
  const u = (y2 - 1n + P) % P
  if (u === 0n) return sign === 0
  // d is not a square mod p, so v is never 0. u/v = u·v / v², so it is a square exactly when u·v
  // is, and Euler's criterion decides that with one exponentiation instead of computing the root.
  const v = (D * y2 + 1n) % P
  return powMod(u * v, (P - 1n) / 2n) === 1n
}

/** 64 hex digits (either case) that are not a small-order point, as a node:crypto key. */
export function parseEd25519PublicKey (hex: unknown): Ed25519KeyResult {
  if (typeof hex !== 'string' || !HEX_KEY.test(hex)) return { ok: false, problem: 'not_hex' }
  const raw = Buffer.from(hex, 'hex')
  if (SMALL_ORDER.has(raw.toString('hex'))) return { ok: false, problem: 'small_order' }
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
  return { ok: true, key, raw }
}
