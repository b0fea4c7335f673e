// Identifiers and bearer tokens for runs. Tokens are shown once and kept only as hashes.
import { createHash, randomBytes } from 'node:crypto'

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** `run_` + 26 base32 characters: a millisecond timestamp prefix (sortable) and 80 random bits. */
export function newRunId (nowMs: number): string {
  let time = ''
  let t = nowMs
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time
    t = Math.floor(t / 32)
  }
  let rand = ''
  for (const byte of randomBytes(16)) rand += CROCKFORD[byte % 32]
  return `run_${time}${rand}`
}

export function newRunToken (): string {
  return `hgr_${randomBytes(32).toString('base64url')}`
}

export function hashToken (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}
