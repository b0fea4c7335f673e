import { describe, it, expect, onTestFinished } from 'vitest'
import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { sendCallback } from '../../src/delivery/callback.ts'
import { createHttpOutbound, type HttpOutboundOptions } from '../../src/delivery/http-outbound.ts'
import { DeliveryError } from '../../src/delivery/outbound.ts'
import type { Run } from '../../src/schemas/run.ts'
import { standardWebhooksVerifier } from '../../src/verify/standard-webhooks.ts'
import { startFakeApi, type RecordedRequest } from '../helpers/fake-api.ts'
import { runObject } from '../helpers/run-object.ts'

const RUN_ID = 'run_01JC3Z8Y6Q4W2E5R7T9Y1U3I5O'

function outbound (opts: HttpOutboundOptions = {}) {
  const http = createHttpOutbound({ backoffMs: 20, ...opts })
  onTestFinished(() => http.close())
  return http
}

function secret (): string {
  return 'whsec_' + randomBytes(32).toString('base64')
}

function finishedRun (patch: Partial<Run> = {}): Run {
  const t0 = Date.now() - 60_000
  return runObject(RUN_ID, t0, {
    status: 'succeeded',
    started_at: new Date(t0 + 10).toISOString(),
    finished_at: new Date(t0 + 5000).toISOString(),
    duration_ms: 4990,
    exit_code: 0,
    output: 'All 42 tests pass ✓ 😀',
    cost_usd: 0.0123,
    turns: 3,
    ...patch
  })
}

/** What the official Standard Webhooks library makes of a received request; throws when it does not verify. */
function officialVerify (key: string, req: RecordedRequest): unknown {
  return new Webhook(key).verify(req.body, req.headers as Record<string, string>)
}

describe('sendCallback', () => {
  it('POSTs the run as JSON, signed so the official library verifies it, without the run token', async () => {
    const api = await startFakeApi({ status: 204 })
    const key = secret()
    const run = finishedRun({ token: 'hgr_RUNTOKENVALUE' })
    const now = Date.now()
    await sendCallback(outbound(), { url: `${api.url}/hooks/result?tenant=a`, secret: key }, run, { deliveryId: 'dlv_01', now: () => now })
    const [req] = api.requests
    expect(req!.method).toBe('POST')
    expect(req!.url).toBe('/hooks/result?tenant=a')
    expect(req!.headers['content-type']).toBe('application/json')
    expect(req!.headers['webhook-id']).toBe('dlv_01')
    expect(req!.headers['webhook-timestamp']).toBe(String(Math.floor(now / 1000)))
    const { token: _token, ...expected } = run
    expect(officialVerify(key, req!)).toEqual(expected)
    expect(req!.json).toEqual(expected)
    expect(req!.body).not.toContain('RUNTOKENVALUE')
    expect(Object.hasOwn(req!.json as object, 'token')).toBe(false)
  })

  it('is also accepted by the gateway\'s own standard-webhooks verifier', async () => {
    const api = await startFakeApi()
    const key = secret()
    const now = Date.now()
    await sendCallback(outbound(), { url: api.url, secret: key }, finishedRun(), { deliveryId: 'dlv_02', now: () => now })
    const req = api.requests[0]!
    const result = standardWebhooksVerifier.verify({ rawBody: Buffer.from(req.body), headers: req.headers, secrets: [key], maxAge: 300, now: Math.floor(now / 1000) })
    expect(result.ok).toBe(true)
  })

  it('a signature made with another secret does not verify', async () => {
    const api = await startFakeApi()
    await sendCallback(outbound(), { url: api.url, secret: secret() }, finishedRun(), { deliveryId: 'dlv_03', now: Date.now })
    expect(() => officialVerify(secret(), api.requests[0]!)).toThrow()
  })

  it('retries 500 and 429 with Retry-After, every attempt signed with the same webhook-id', async () => {
    const api = await startFakeApi()
    api.enqueue({ status: 500 }, { status: 429, headers: { 'retry-after': '1' } })
    const key = secret()
    await sendCallback(outbound(), { url: api.url, secret: key }, finishedRun(), { deliveryId: 'dlv_retry', now: Date.now })
    expect(api.requests).toHaveLength(3)
    for (const req of api.requests) {
      expect(req.headers['webhook-id']).toBe('dlv_retry')
      expect(officialVerify(key, req)).toMatchObject({ id: RUN_ID })
    }
    expect(api.requests[2]!.at - api.requests[1]!.at).toBeGreaterThanOrEqual(1000)
  })

  it('a later delivery attempt keeps the webhook-id and signs with the time of that attempt', async () => {
    const api = await startFakeApi()
    const key = secret()
    let clock = Date.now() - 120_000
    const http = outbound()
    const run = finishedRun()
    await sendCallback(http, { url: api.url, secret: key }, run, { deliveryId: 'dlv_later', now: () => clock })
    clock += 90_000
    await sendCallback(http, { url: api.url, secret: key }, run, { deliveryId: 'dlv_later', now: () => clock })
    const [first, second] = api.requests
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id'])
    expect(Number(second!.headers['webhook-timestamp']) - Number(first!.headers['webhook-timestamp'])).toBe(90)
    expect(first!.headers['webhook-signature']).not.toBe(second!.headers['webhook-signature'])
    expect(officialVerify(key, second!)).toMatchObject({ id: RUN_ID })
  })

  it('turns a delivery id that is not a valid webhook-id into a stable one', async () => {
    const api = await startFakeApi()
    const key = secret()
    const now = Date.now()
    for (let i = 0; i < 2; i++) {
      await sendCallback(outbound(), { url: api.url, secret: key }, finishedRun(), { deliveryId: `${RUN_ID}.callback`, now: () => now })
    }
    const ids = api.requests.map((r) => r.headers['webhook-id'])
    expect(ids[0]).toBe(ids[1])
    expect(ids[0]).toMatch(/^[\x21-\x2d\x2f-\x7e]{1,256}$/)
    const other = await startFakeApi()
    await sendCallback(outbound(), { url: other.url, secret: key }, finishedRun(), { deliveryId: `${RUN_ID}.reply`, now: () => now })
    expect(other.requests[0]!.headers['webhook-id']).not.toBe(ids[0])
    const req = api.requests[0]!
    expect(standardWebhooksVerifier.verify({ rawBody: Buffer.from(req.body), headers: req.headers, secrets: [key], maxAge: 300, now: Math.floor(now / 1000) }).ok).toBe(true)
  })

  it('a 410 or a 400 is permanent: one attempt, not retryable', async () => {
    for (const status of [410, 400]) {
      const api = await startFakeApi({ status, body: { error: 'gone' } })
      const error = await sendCallback(outbound(), { url: api.url, secret: secret() }, finishedRun(), { deliveryId: 'dlv_gone', now: Date.now }).then(() => null, (e: unknown) => e)
      expect(error).toBeInstanceOf(DeliveryError)
      expect((error as DeliveryError).retryable).toBe(false)
      expect((error as DeliveryError).status).toBe(status)
      expect(api.requests).toHaveLength(1)
    }
  })

  it('a receiver that does not answer in time is retryable, and the error names only the host', async () => {
    const api = await startFakeApi({ status: 200, delayMs: 10_000 })
    const error = await sendCallback(outbound({ attempts: 1 }), { url: `${api.url}/cb/PATHSECRET?sig=QUERYSECRET`, secret: secret() }, finishedRun(), { deliveryId: 'dlv_slow', now: Date.now, timeoutMs: 300 })
      .then(() => null, (e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect((error as DeliveryError).retryable).toBe(true)
    expect((error as DeliveryError).message).toBe(`${new URL(api.url).host}: timed out`)
  })

  it('an unusable secret fails at once, without sending and without quoting the secret', async () => {
    const api = await startFakeApi()
    const error = await sendCallback(outbound(), { url: api.url, secret: 'whsec_not*base64SECRETVALUE' }, finishedRun(), { deliveryId: 'dlv_bad', now: Date.now })
      .then(() => null, (e: unknown) => e)
    expect(error).toBeInstanceOf(DeliveryError)
    expect((error as DeliveryError).retryable).toBe(false)
    expect((error as DeliveryError).message).not.toContain('SECRETVALUE')
    expect(api.requests).toHaveLength(0)
  })
})
