// The caller's callback: the finished run object POSTed to the configured URL and
// signed with Standard Webhooks, so the receiver can check it came from us with the official SDK.
// The webhook-id is the delivery's id, the same on every retry, so the receiver can drop repeats;
// the timestamp is taken when the attempt is made, so a retry hours later is still inside the
// receiver's tolerance window.
import { createHash } from 'node:crypto'
import type { Run } from '../schemas/run.ts'
import { signRequest } from '../verify/sign.ts'
import { isValidWebhookId } from '../verify/standard-webhooks-id.ts'
import { DeliveryError, type Outbound } from './outbound.ts'

export interface CallbackTarget {
  url: string
  /** Standard Webhooks secret (`whsec_` + base64). */
  secret: string
}

export interface CallbackOptions {
  /** Stable across retries of this delivery. */
  deliveryId: string
  /** Wall clock, ms. */
  now: () => number
  /** Per-attempt timeout, ms; the Outbound's default otherwise. */
  timeoutMs?: number
}

export async function sendCallback (http: Outbound, callback: CallbackTarget, run: Run, opts: CallbackOptions): Promise<void> {
  // The run's bearer token is only for whoever created the run; a callback receiver never gets it.
  const { token: _token, ...payload } = run
  const body = JSON.stringify(payload)
  let headers: Record<string, string>
  try {
    headers = signRequest('standard-webhooks', callback.secret, Buffer.from(body), {
      id: webhookId(opts.deliveryId),
      timestamp: Math.floor(opts.now() / 1000)
    })
  } catch (error) {
    // signRequest names the bad option, never the secret; retrying cannot fix a config error.
    throw new DeliveryError(`callback not signed: ${(error as Error).message}`, { retryable: false })
  }
  await http.send({
    method: 'POST',
    url: callback.url,
    headers: { ...headers, 'content-type': 'application/json' },
    // Sent as the exact string that was signed, not re-serialised on the way out.
    body,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {})
  })
}

/**
 * The delivery id itself when it is a valid webhook-id; otherwise (a `.`, a space) a stable id
 * derived from it, because our own verifier and many receivers refuse such ids.
 */
export function webhookId (deliveryId: string): string {
  if (isValidWebhookId(deliveryId)) return deliveryId
  return 'msg_' + createHash('sha256').update(deliveryId).digest('base64url').slice(0, 32)
}
