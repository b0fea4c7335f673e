// One timestamp grammar for every scheme: plain decimal digits, at most 12 of them.
// Number() and parseInt() both accept forms such as ' 123', '+123', '1e3', '0x10' or '123abc',
// which would let different header bytes stand for the same instant.
const TIMESTAMP = /^[0-9]{1,12}$/

/** @returns the unix seconds in the header, or null unless it matches `^[0-9]{1,12}$` exactly. */
export function parseTimestamp (value: string): number | null {
  // 12 digits stay far below Number.MAX_SAFE_INTEGER, so the conversion is exact.
  return TIMESTAMP.test(value) ? Number(value) : null
}

/** Symmetric window: senders' clocks may be ahead as well as behind ours. */
export function isWithinWindow (timestamp: number, now: number, maxAge: number): boolean {
  return Math.abs(now - timestamp) <= maxAge
}

