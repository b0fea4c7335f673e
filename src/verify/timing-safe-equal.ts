// node:crypto's timingSafeEqual throws on a length mismatch, and checking lengths first would
// branch on attacker-controlled input. Instead both sides are run through HMAC-SHA256 under a
// key that exists only in this process: the digests always have the same length, so the
// comparison is constant-time over 32 bytes, and an attacker who cannot predict the key learns
// nothing about which byte (or whether the length) differed. Time still depends on input
// lengths (hashing is linear), which is public anyway.
import { createHmac, randomBytes, timingSafeEqual as cryptoTimingSafeEqual } from 'node:crypto'

// Created once and never exposed; immutable, so it is not per-instance state.
const COMPARISON_KEY = randomBytes(32)

function digest (value: Buffer | string): Buffer {
  return createHmac('sha256', COMPARISON_KEY).update(value).digest()
}

/** Byte equality of the two values (strings as UTF-8), in time independent of where they differ. Never throws. */
export function timingSafeEqual (a: Buffer | string, b: Buffer | string): boolean {
  return cryptoTimingSafeEqual(digest(a), digest(b))
}

/**
 * For two digests whose common length is public (both SHA-256 outputs, say): compared directly, in
 * constant time, without hashing them again. Throws on different lengths, which callers rule out.
 */
export function equalDigests (a: Buffer, b: Buffer): boolean {
  return cryptoTimingSafeEqual(a, b)
}
