// Slack's Web API answers HTTP 200 with `{"ok": false, "error": "…"}` when it refuses. Error codes
// are a short fixed vocabulary, safe to name in a message; the rest of the body is not quoted.
import { DeliveryError, type OutboundResponse } from '../../delivery/outbound.ts'

// Slack-side trouble that a later attempt can get past; every other code needs a person
// (a token, a scope, an invitation to the channel).
const RETRYABLE = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'])
const ERROR_CODE = /^[a-z_]{1,64}$/

/** Throws when a 2xx answer still says `ok: false`. A body that is not JSON (response_url says "ok") passes. */
export function checkSlackAnswer (res: OutboundResponse, what: string): void {
  let body: unknown
  try {
    body = JSON.parse(res.text)
  } catch {
    return
  }
  if (typeof body !== 'object' || body === null || (body as { ok?: unknown }).ok !== false) return
  const raw = (body as { error?: unknown }).error
  const code = typeof raw === 'string' && ERROR_CODE.test(raw) ? raw : 'unknown_error'
  throw new DeliveryError(`slack: ${what} refused: ${code}`, { retryable: RETRYABLE.has(code), status: res.status })
}
