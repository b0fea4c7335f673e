// An independent signing oracle, written from the scheme descriptions with node:crypto only. It must never
// import src/: a verifier and a signer that share a bug agree with each other, not with senders.
import { createHmac } from 'node:crypto'

/** `X-Webhook-Signature` value: HMAC-SHA256(secret, `<ts>.<body>`) in hex, or over the body alone without `ts`. */
export function signHmacSha256 (secret: string, body: Buffer | string, ts?: number | string): string {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')
  const signed = ts === undefined ? bytes : Buffer.concat([Buffer.from(`${ts}.`, 'utf8'), bytes])
  return 'sha256=' + createHmac('sha256', Buffer.from(secret, 'utf8')).update(signed).digest('hex')
}

/** `webhook-signature` entry: `v1,` + base64 HMAC-SHA256(base64-decode(secret minus `whsec_`), `<id>.<ts>.<body>`). */
export function signStandardWebhooks (secretWhsec: string, id: string, ts: number | string, body: Buffer | string): string {
  const key = Buffer.from(secretWhsec.replace(/^whsec_/, ''), 'base64')
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')
  const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), bytes])
  return 'v1,' + createHmac('sha256', key).update(signed).digest('base64')
}
