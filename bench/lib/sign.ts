// hmac-sha256 caller signing, written from the scheme's description (contract §4) with node:crypto
// only, so the bench signs the way an outside caller does rather than through the gateway's code.
import { createHmac } from 'node:crypto'

/** Headers of a request signed at `ts` (unix seconds): HMAC-SHA256(secret, `<ts>.<body>`), hex. */
export function signedHeaders (secret: string, body: string, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')
  return {
    'content-type': 'application/json',
    'x-webhook-timestamp': String(ts),
    'x-webhook-signature': `sha256=${mac}`
  }
}
