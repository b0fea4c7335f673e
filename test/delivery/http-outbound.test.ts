import { describe, it, expect, onTestFinished } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHttpOutbound, type HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { DeliveryError } from '../../src/delivery/outbound.ts'
import { startFakeApi, type FakeResponse } from '../helpers/fake-api.ts'

/** A client with quick backoff, closed when the test ends. */
function outbound (opts: HttpOutboundOptions = {}) {
  const http = createHttpOutbound({ backoffMs: 20, ...opts })
  onTestFinished(() => http.close())
  return http
}

async function failure (promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(DeliveryError)
  return error as DeliveryError
}

/** A port nothing listens on: bound once, then released. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('createHttpOutbound', () => {
  it('sends JSON and returns a 2xx answer with its parsed body', async () => {
    const api = await startFakeApi({ status: 200, body: { ok: true, result: { message_id: 42 } } })
    const res = await outbound().send({ method: 'POST', url: `${api.url}/bot123/sendMessage`, json: { chat_id: 7, text: 'héllo 😀' } })
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({ ok: true, result: { message_id: 42 } })
    expect(res.headers['content-type']).toBe('application/json')
    const [req] = api.requests
    expect(req!.method).toBe('POST')
    expect(req!.headers['content-type']).toBe('application/json')
    expect(req!.headers['user-agent']).toBe('hookgate')
    expect(req!.json).toEqual({ chat_id: 7, text: 'héllo 😀' })
  })

  it('sends a form with the form content type', async () => {
    const api = await startFakeApi({ status: 201, body: { sid: 'SM1' } })
    await outbound().send({ method: 'POST', url: `${api.url}/Messages.json`, form: { To: '+15551234567', Body: 'a & b = c' } })
    expect(api.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(api.requests[0]!.form).toEqual({ To: '+15551234567', Body: 'a & b = c' })
  })

  it('keeps a content type the caller set, whatever its case, and sends a raw body as is', async () => {
    const api = await startFakeApi()
    await outbound().send({ method: 'POST', url: api.url, headers: { 'Content-Type': 'application/vnd.custom+json' }, json: { a: 1 } })
    await outbound().send({ method: 'PUT', url: api.url, headers: { 'content-type': 'text/plain' }, body: 'raw text' })
    expect(api.requests[0]!.headers['content-type']).toBe('application/vnd.custom+json')
    expect(api.requests[0]!.body).toBe('{"a":1}')
    expect(api.requests[1]!.headers['content-type']).toBe('text/plain')
    expect(api.requests[1]!.body).toBe('raw text')
  })

  it('waits out a 429 Retry-After in seconds, then succeeds', async () => {
    const api = await startFakeApi()
    api.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } })
    const res = await outbound().send({ method: 'POST', url: api.url, json: {} })
    expect(res.status).toBe(200)
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(1000)
  })

  it('waits out a Retry-After given as an HTTP date', async () => {
    const api = await startFakeApi()
    api.enqueue({ status: 503, headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() } })
    await outbound().send({ method: 'GET', url: api.url })
    expect(api.requests).toHaveLength(2)
    // The date has one-second resolution, so between two and three seconds are left when it is read.
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(1500)
  })

  it('reads Telegram\'s retry_after from the error body', async () => {
    const api = await startFakeApi()
    api.enqueue({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } })
    const res = await outbound().send({ method: 'POST', url: `${api.url}/bot1:AAA/sendMessage`, json: { chat_id: 1, text: 'x' } })
    expect(res.json()).toEqual({ ok: true })
    expect(api.requests).toHaveLength(2)
    expect(api.requests[1]!.at - api.requests[0]!.at).toBeGreaterThanOrEqual(1000)
  })

  it('gives up after three 500s with a retryable error that carries the status', async () => {
    const api = await startFakeApi({ status: 500, body: { error: 'internal' } })
    const error = await failure(outbound().send({ method: 'POST', url: api.url, json: {} }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBe(500)
    expect(error.message).toBe(`${new URL(api.url).host}: answered 500`)
    expect(api.requests).toHaveLength(3)
  })

  it('uses every attempt even when its own backoff is longer than the inline wait, capped to it', async () => {
    const api = await startFakeApi({ status: 502 })
    const started = Date.now()
    const error = await failure(outbound({ backoffMs: 60_000, maxInlineWaitMs: 150 }).send({ method: 'GET', url: api.url }))
    expect(api.requests).toHaveLength(3)
    expect(error.retryAfterMs).toBeNull()
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('does not retry a 400, and says it cannot be retried', async () => {
    const api = await startFakeApi({ status: 400, body: { ok: false, description: 'Bad Request: chat not found' } })
    const error = await failure(outbound().send({ method: 'POST', url: api.url, json: {} }))
    expect(error.retryable).toBe(false)
    expect(error.status).toBe(400)
    expect(error.message).not.toContain('chat not found')
    expect(api.requests).toHaveLength(1)
  })

  it('times out an answer that takes longer than timeoutMs, retryably', async () => {
    const api = await startFakeApi({ status: 200, delayMs: 10_000 })
    const started = Date.now()
    const error = await failure(outbound({ timeoutMs: 300, attempts: 2 }).send({ method: 'POST', url: api.url, json: {} }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBeNull()
    expect(error.message).toBe(`${new URL(api.url).host}: timed out`)
    expect(api.requests).toHaveLength(2)
    // undici's timers are coarse; what matters is that neither attempt waited for the answer.
    expect(Date.now() - started).toBeLessThan(6000)
  })

  it('a per-request timeout overrides the client\'s', async () => {
    const api = await startFakeApi({ status: 200, delayMs: 1500 })
    const res = await outbound({ timeoutMs: 200, attempts: 1 }).send({ method: 'GET', url: api.url, timeoutMs: 5000 })
    expect(res.status).toBe(200)
  })

  it('reports a refused connection as retryable, naming only the host', async () => {
    const port = await closedPort()
    const error = await failure(outbound({ attempts: 2 }).send({ method: 'POST', url: `http://127.0.0.1:${port}/botSECRETTOKEN/sendMessage?key=QUERYSECRET`, json: {} }))
    expect(error.retryable).toBe(true)
    expect(error.status).toBeNull()
    expect(error.message).toBe(`127.0.0.1:${port}: ECONNREFUSED`)
  })

  it('retries a dropped connection', async () => {
    const api = await startFakeApi()
    api.enqueue({ destroy: true })
    const res = await outbound().send({ method: 'POST', url: api.url, json: {} })
    expect(res.status).toBe(200)
    expect(api.requests).toHaveLength(2)
  })

  it('returns at once when Retry-After is longer than it may wait inline, with the wait for the caller', async () => {
    const api = await startFakeApi({ status: 429, headers: { 'retry-after': '120' } })
    const started = Date.now()
    const error = await failure(outbound({ maxInlineWaitMs: 5000 }).send({ method: 'POST', url: api.url, json: {} }))
    expect(Date.now() - started).toBeLessThan(1000)
    expect(error.retryable).toBe(true)
    expect(error.status).toBe(429)
    expect(error.retryAfterMs).toBe(120_000)
    expect(api.requests).toHaveLength(1)
  })

  it('never puts the path, the query or the answer body in an error message', async () => {
    const api = await startFakeApi()
    const url = `${api.url}/botSECRETTOKEN/sendMessage?token=QUERYSECRET`
    const cases: Array<{ answer: FakeResponse, opts?: HttpOutboundOptions }> = [
      { answer: { status: 500, body: { description: 'BODYSECRET' } } },
      { answer: { status: 401, body: 'BODYSECRET' } },
      { answer: { status: 302, headers: { location: `${api.url}/botSECRETTOKEN/elsewhere` } } },
      { answer: { destroy: true } },
      { answer: { status: 200, delayMs: 2000 }, opts: { timeoutMs: 200 } },
      { answer: { status: 200, body: 'not json BODYSECRET' } }
    ]
    for (const { answer, opts } of cases) {
      api.enqueue(answer)
      const http = outbound({ attempts: 1, ...opts })
      const error = await failure(http.send({ method: 'POST', url, json: { text: 'PAYLOADSECRET' } }).then((res) => res.json()))
      for (const text of [error.message, String(error), error.stack ?? '']) {
        expect(text).not.toMatch(/SECRETTOKEN|QUERYSECRET|BODYSECRET|PAYLOADSECRET|sendMessage/)
      }
      expect(error.message.startsWith(new URL(api.url).host + ': ')).toBe(true)
    }
  })

  it('refuses a URL that is not http or https without sending, and without quoting it', async () => {
    for (const url of ['ftp://example.com/botSECRETTOKEN', 'not a url botSECRETTOKEN', 'file:///etc/botSECRETTOKEN']) {
      const error = await failure(outbound().send({ method: 'GET', url }))
      expect(error.retryable).toBe(false)
      expect(error.message).not.toContain('SECRETTOKEN')
    }
  })

  it('close() lets a request in flight finish within the grace, then aborts it without retrying', async () => {
    const api = await startFakeApi()
    api.route('/quick', { status: 200, delayMs: 50 })
    api.route('/stuck', { status: 200, delayMs: 30_000 })
    const http = createHttpOutbound({ backoffMs: 20, timeoutMs: 20_000, closeGraceMs: 300 })
    const quick = http.send({ method: 'GET', url: `${api.url}/quick` })
    const stuck = http.send({ method: 'GET', url: `${api.url}/stuck/PATHSECRET` })
    await api.waitFor(2)
    const started = Date.now()
    await http.close()
    expect(Date.now() - started).toBeLessThan(2000)
    expect((await quick).status).toBe(200)
    const error = await failure(stuck)
    expect(error.retryable).toBe(true)
    expect(error.message).toBe(`${new URL(api.url).host}: aborted: the gateway is stopping`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(api.requests.filter((r) => r.url.startsWith('/stuck'))).toHaveLength(1)
    // Nothing more goes out once closed.
    const late = await failure(http.send({ method: 'GET', url: `${api.url}/quick` }))
    expect(late.retryable).toBe(true)
    expect(api.requests).toHaveLength(2)
  })

  it('close() ends a backoff wait at once instead of sleeping through it', async () => {
    const api = await startFakeApi({ status: 429, headers: { 'retry-after': '4' } })
    const http = createHttpOutbound({ backoffMs: 20, closeGraceMs: 100 })
    const sending = http.send({ method: 'POST', url: api.url, json: {} })
    await api.waitFor(1)
    const started = Date.now()
    await http.close()
    const error = await failure(sending)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(error.status).toBe(429)
    expect(api.requests).toHaveLength(1)
  })

  it('stops reading an answer body at the cap instead of reading it whole', async () => {
    let written = 0
    let closed = false
    // An answer that never ends: a client reading it whole would never return.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(16 * 1024, 'a')
      const pump = () => {
        while (!closed && res.write(chunk)) written += chunk.length
        if (!closed) res.once('drain', pump)
      }
      res.on('close', () => { closed = true })
      pump()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const res = await outbound({ maxResponseBytes: 64 * 1024 }).send({ method: 'GET', url: `http://127.0.0.1:${port}/big` })
      expect(res.text.length).toBeLessThanOrEqual(64 * 1024)
      expect(res.text.length).toBeGreaterThan(0)
      expect(() => res.json()).toThrow(DeliveryError)
      await expect.poll(() => closed).toBe(true)
      const atClose = written
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(written).toBe(atClose)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
