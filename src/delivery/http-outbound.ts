// The Outbound used in production: undici with a bounded connect, header and body time per
// attempt, a few quick retries for answers that say "try again" (429, 5xx, network faults),
// honouring Retry-After when it is short. Longer outages are the delivery service's business: it
// retries the whole delivery later, from the state it saved.
import type { Dispatcher } from 'undici'
import { setTimeout as sleep } from 'node:timers/promises'
import { DeliveryError, type Outbound, type OutboundRequest, type OutboundResponse } from './outbound.ts'

export interface HttpOutboundOptions {
  /** Attempts per send, the first included. */
  attempts?: number
  /** First backoff, doubled per attempt (with jitter). */
  backoffMs?: number
  /** A Retry-After longer than this ends the send (the delivery service waits instead). */
  maxInlineWaitMs?: number
  timeoutMs?: number
  /** Largest answer body read, bytes. */
  maxResponseBytes?: number
  /** How long close() lets requests in flight finish before it aborts them. */
  closeGraceMs?: number
  dispatcher?: Dispatcher
}

export function createHttpOutbound (opts: HttpOutboundOptions = {}): Outbound & { close (): Promise<void> } {
  const attempts = opts.attempts ?? 3
  const backoffMs = opts.backoffMs ?? 500
  const maxInlineWaitMs = opts.maxInlineWaitMs ?? 5000
  const maxResponseBytes = opts.maxResponseBytes ?? 1024 * 1024
  const closeGraceMs = opts.closeGraceMs ?? 250
  // undici is loaded by the first send: a gateway that never calls out (no platform replies, no
  // callbacks) is spared the memory its code takes (idle RSS 130–131 MiB instead of 136–138, bench `--only cpu`).
  let client: Promise<{ request: typeof import('undici').request, dispatcher: Dispatcher }> | undefined
  const undici = async (): Promise<{ request: typeof import('undici').request, dispatcher: Dispatcher }> => {
    client ??= import('undici').then((u) => ({ request: u.request, dispatcher: opts.dispatcher ?? new u.Agent({ connections: 16, connectTimeout: 5000 }) }))
    return await client
  }
  // Aborted by close() once its grace is over: every request and backoff wait listens to it.
  const stopping = new AbortController()
  const inflight = new Set<Promise<unknown>>()

  async function once (req: OutboundRequest): Promise<OutboundResponse> {
    const host = hostOf(req.url)
    // A malformed URL or another scheme is a config fault that no retry fixes (and undici's error would quote it).
    if (host === null) throw new DeliveryError('invalid URL: not http or https', { retryable: false })
    const timeoutMs = req.timeoutMs ?? opts.timeoutMs ?? 10_000
    const headers: Record<string, string> = { 'user-agent': 'hookgate', ...req.headers }
    const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')
    let body: string | undefined = req.body
    if (req.json !== undefined) {
      body = JSON.stringify(req.json)
      if (!typed) headers['content-type'] = 'application/json'
    } else if (req.form !== undefined) {
      body = new URLSearchParams(req.form).toString()
      if (!typed) headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    let res: Dispatcher.ResponseData<unknown>
    try {
      const { request, dispatcher } = await undici()
      res = await request(req.url, {
        method: req.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        // undici's request() never follows redirects: a 3xx is an error here, like any non-2xx.
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs + 1000), stopping.signal])
      })
    } catch (error) {
      // The cause names the fault kind only (timeout, refused, reset); the URL is never quoted.
      const fault = stopping.signal.aborted ? 'aborted: the gateway is stopping' : faultKind(error)
      throw new DeliveryError(`${host}: ${fault}`, { retryable: true })
    }
    let text: string
    try {
      text = await readCapped(res.body, maxResponseBytes)
    } catch {
      throw new DeliveryError(`${host}: answer body could not be read`, { retryable: true, status: res.statusCode })
    }
    const responseHeaders = flatHeaders(res.headers)
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return {
        status: res.statusCode,
        headers: responseHeaders,
        text,
        json<T> (): T {
          try {
            return JSON.parse(text) as T
          } catch {
            throw new DeliveryError(`${host}: answered ${res.statusCode} with a body that is not JSON`, { retryable: false, status: res.statusCode })
          }
        }
      }
    }
    const retryable = res.statusCode === 429 || res.statusCode === 408 || res.statusCode >= 500
    throw new DeliveryError(`${host}: answered ${res.statusCode}`, {
      retryable,
      status: res.statusCode,
      retryAfterMs: retryAfterMs(responseHeaders['retry-after'], text)
    })
  }

  return {
    send (req) {
      const sending = sendWithRetries(req)
      inflight.add(sending)
      void sending.finally(() => inflight.delete(sending)).catch(() => {})
      return sending
    },
    // The delivery service has already given attempts in flight their time when this is called
    // (gateway stop): an answer that is still outstanding must not hold the process for the rest
    // of its timeout. Aborted deliveries stay pending and are resumed by the next start.
    async close () {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled([...inflight]),
        new Promise((resolve) => { timer = setTimeout(resolve, closeGraceMs) })
      ])
      clearTimeout(timer)
      stopping.abort()
      await Promise.allSettled([...inflight])
      if (opts.dispatcher === undefined && client !== undefined) await (await client).dispatcher.close()
    }
  }

  async function sendWithRetries (req: OutboundRequest): Promise<OutboundResponse> {
    let last: DeliveryError | undefined
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await once(req)
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error
        last = error
        if (!error.retryable || attempt === attempts || stopping.signal.aborted) break
        // Only the platform's own Retry-After ends the send early, and the caller gets it to schedule
        // by; our backoff is merely capped, so a plain 500 still gets every attempt.
        if (error.retryAfterMs !== null && error.retryAfterMs > maxInlineWaitMs) break
        const backoff = Math.min(maxInlineWaitMs, backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5))
        const waited = await sleep(Math.max(backoff, error.retryAfterMs ?? 0), true, { signal: stopping.signal }).catch(() => false)
        if (!waited) break
      }
    }
    throw last!
  }
}

/** The host to name in messages, or null when the URL is not an http(s) URL. */
function hostOf (url: string): string | null {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.host : null
  } catch {
    return null
  }
}

function faultKind (error: unknown): string {
  const code = (error as { code?: unknown }).code
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') return 'client closed'
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code.includes('TIMEOUT') ? 'timed out' : code
  if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return 'timed out'
  return 'connection failed'
}

/**
 * Seconds or an HTTP date in Retry-After; otherwise Telegram's `parameters.retry_after` in a JSON
 * error body, which is where the Bot API puts it.
 */
export function retryAfterMs (header: string | undefined, body: string): number | null {
  if (header !== undefined && header !== '') {
    if (/^\d{1,7}$/.test(header.trim())) return Number(header.trim()) * 1000
    const date = Date.parse(header)
    if (Number.isFinite(date)) return Math.max(0, date - Date.now())
  }
  if (body.length > 0 && body.length < 4096) {
    try {
      const seconds = (JSON.parse(body) as { parameters?: { retry_after?: unknown } }).parameters?.retry_after
      if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
    } catch {}
  }
  return null
}

function flatHeaders (headers: Dispatcher.ResponseData<unknown>['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return out
}

async function readCapped (body: Dispatcher.ResponseData<unknown>['body'], max: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > max) {
      body.destroy()
      break
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
