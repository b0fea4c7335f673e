// Outbound HTTP as the delivery code sees it: one request, its answer, or a DeliveryError that says
// whether trying again can help. The implementation (undici, timeouts, retries honouring
// Retry-After) is in http-outbound.ts; adapters depend only on this shape.

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  url: string
  headers?: Record<string, string>
  /** Exactly one of json, form, body. */
  json?: unknown
  form?: Record<string, string>
  body?: string
  /** Per-attempt timeout, ms. */
  timeoutMs?: number
}

export interface OutboundResponse {
  status: number
  headers: Record<string, string>
  text: string
  /** The body parsed as JSON; throws DeliveryError (not retryable) when it is not JSON. */
  json<T = unknown> (): T
}

export interface Outbound {
  /** Resolves on 2xx; retries 429, 5xx and network faults a few times; otherwise throws DeliveryError. */
  send (req: OutboundRequest): Promise<OutboundResponse>
}

/**
 * Why an outbound call failed. The message names the host and the status only: URLs of platform
 * APIs carry tokens (Telegram's bot token, Discord's interaction token, Slack's response_url), so
 * neither the URL nor the platform's answer body ever appears in a message, log or audit line.
 */
export class DeliveryError extends Error {
  readonly retryable: boolean
  /** HTTP status, or null for a network fault or timeout. */
  readonly status: number | null
  /** The platform's Retry-After, ms, or null. */
  readonly retryAfterMs: number | null
  constructor (message: string, opts: { retryable: boolean, status?: number | null, retryAfterMs?: number | null }) {
    super(message)
    this.name = 'DeliveryError'
    this.retryable = opts.retryable
    this.status = opts.status ?? null
    this.retryAfterMs = opts.retryAfterMs ?? null
  }
}
