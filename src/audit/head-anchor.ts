// The head anchor: `audit.head` holds the seq and hash of the newest record with an HMAC over both.
// A chain alone cannot show that its last lines were cut off; the anchor can, because whoever cuts
// them cannot write a matching anchor without the key. It is a fixed-size record rewritten in place
// with one positional write, so updating it costs one syscall and never leaves it half-long.
import { createHmac, type KeyObject } from 'node:crypto'
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs'
import { errnoCode } from './errors.ts'

const SIZE = 192
/** Separates anchor MACs from record MACs, so one can never stand in for the other. */
const DOMAIN = 'hookgate audit head v1'

export interface Head {
  readonly seq: number
  readonly hash: string
}

export type AnchorRead =
  | { readonly kind: 'ok', readonly head: Head }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid', readonly why: string }

function anchorMac (key: KeyObject, head: Head): string {
  return createHmac('sha256', key).update(`${DOMAIN}\n${head.seq}\n${head.hash}`).digest('hex')
}

export function readAnchor (path: string, key: KeyObject): AnchorRead {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'missing' }
    return { kind: 'invalid', why: `cannot be read (${errnoCode(err)})` }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { kind: 'invalid', why: 'is not a head anchor' }
  }
  const v = value as Record<string, unknown> | null
  if (typeof v !== 'object' || v === null || !Number.isSafeInteger(v.seq) || (v.seq as number) < 0 ||
      typeof v.hash !== 'string' || !/^[0-9a-f]{64}$/.test(v.hash) || typeof v.mac !== 'string') {
    return { kind: 'invalid', why: 'is not a head anchor' }
  }
  const head = { seq: v.seq as number, hash: v.hash }
  if (anchorMac(key, head) !== v.mac) return { kind: 'invalid', why: 'has a bad MAC (edited or forged)' }
  return { kind: 'ok', head }
}

/** The writer's handle on `audit.head`. */
export class HeadAnchor {
  readonly path: string
  readonly #key: KeyObject
  #fd: number | null = null

  constructor (path: string, key: KeyObject) {
    this.path = path
    this.#key = key
  }

  /** @throws the operating-system error; the caller decides what a stale anchor means. */
  write (head: Head): void {
    const json = JSON.stringify({ seq: head.seq, hash: head.hash, mac: anchorMac(this.#key, head) })
    const buf = Buffer.alloc(SIZE, 0x20)
    buf.write(json, 0, 'utf8')
    buf[SIZE - 1] = 0x0a
    // Not O_APPEND (Linux would ignore the position), not O_TRUNC (a crash would leave it empty).
    this.#fd ??= openSync(this.path, constants.O_RDWR | constants.O_CREAT, 0o600)
    try {
      let done = 0
      while (done < SIZE) done += writeSync(this.#fd, buf, done, SIZE - done, done)
    } catch (err) {
      this.close()
      throw err
    }
  }

  close (): void {
    if (this.#fd === null) return
    try { closeSync(this.#fd) } catch { /* already gone: nothing to release */ }
    this.#fd = null
  }
}
