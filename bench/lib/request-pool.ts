// The requests a load generator cycles through, built before the load starts so that signing costs
// the generator nothing while it measures. Every contender of a section receives the same bytes.
import { randomBytes } from 'node:crypto'
import { signedHeaders } from './sign.ts'

export interface PlannedRequest {
  method: 'POST'
  path: string
  headers: Record<string, string>
  body: string
}

/** A JSON body of exactly `bytes` bytes: `{"text":"…"}` plus the given fields. */
export function jsonBody (bytes: number, fields: Record<string, string> = {}): string {
  const bare = JSON.stringify({ ...fields, text: '' })
  return JSON.stringify({ ...fields, text: 'x'.repeat(Math.max(1, bytes - bare.length)) })
}

/**
 * `count` requests with a 1 KiB JSON body, a fresh timestamp and a random, wrong signature of the
 * right shape (`sha256=` + 64 hex digits), so a verifier does the whole HMAC before refusing.
 */
export function badSignaturePool (path: string, count = 64, bodyBytes = 1024): PlannedRequest[] {
  const ts = String(Math.floor(Date.now() / 1000))
  return Array.from({ length: count }, (_, i) => ({
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      'x-webhook-timestamp': ts,
      'x-webhook-signature': `sha256=${randomBytes(32).toString('hex')}`
    },
    body: jsonBody(bodyBytes, { id: `bad-${i}` })
  }))
}

/** Signed requests per second of load: above any run rate a 2-core machine reaches, so none repeats. */
const RUNS_PER_SECOND_CEILING = 4000

export function runPoolSize (durationS: number): number {
  return Math.ceil(durationS * RUNS_PER_SECOND_CEILING)
}

/**
 * `count` correctly signed requests, each with its own text and idempotency `id`, so no request is
 * ever a replay of another (`tag` keeps them distinct across rounds on the same gateway).
 */
export function signedRunPool (path: string, secret: string, count: number, tag = randomBytes(6).toString('hex')): PlannedRequest[] {
  const ts = Math.floor(Date.now() / 1000)
  return Array.from({ length: count }, (_, i) => {
    const body = JSON.stringify({ text: `bench run ${tag} ${i}`, id: `${tag}-${i}` })
    return { method: 'POST', path, headers: signedHeaders(secret, body, ts), body }
  })
}
