// A gateway on a Redis store while Redis is away, in process: answers come fast and say 503 with
// Retry-After (never a hang, never a 500), rate limits fail closed unless `rate_limit_fail_open`,
// /readyz says why, and everything works again when Redis is back, without a restart.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisStore } from '../../src/store/redis-store.ts'
import { testGateway, type TestGateway } from '../helpers/build-app.ts'
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.ts'

let redis: RedisServer

beforeAll(async () => { redis = await startRedis() })
afterAll(stopAllRedis)

async function gateway (failOpen: boolean): Promise<TestGateway> {
  const gw = await testGateway({
    agent: '{ profile: demo }',
    callers: '{ ci: { scheme: hmac-sha256, secrets: [test-secret-0123456789abcdef0123], commands: [run], default_command: run, rate_limit: { max: 100, window: 60 } } }',
    extra: `store: ${redis.url}\nredis: { prefix: "o${randomBytes(4).toString('hex')}:", timeout_ms: 500 }\nrate_limit_fail_open: ${failOpen}`
  })
  if (!(await (gw.app.gateway.registry.store as RedisStore).ready(5000))) throw new Error('no Redis')
  return gw
}

async function send (gw: TestGateway, text: string): Promise<{ status: number, ms: number, retryAfter: string | undefined, body: Record<string, unknown> }> {
  const { payload, headers } = gw.signed({ text, user: 'ann' })
  const started = performance.now()
  const res = await gw.app.inject({ method: 'POST', url: '/v1/hooks/ci', payload, headers: { ...headers, prefer: 'respond-async' } })
  return { status: res.statusCode, ms: performance.now() - started, retryAfter: res.headers['retry-after'] as string | undefined, body: res.json() }
}

describe('Redis unreachable', () => {
  it('fails closed by default: every request is answered 503 with Retry-After within 1 s, /readyz is 503, and all works again once Redis is back', async () => {
    const gw = await gateway(false)
    expect((await send(gw, 'before')).status).toBe(202)
    await redis.stop()
    try {
      for (const text of ['a run', '/help', '/status']) {
        const answer = await send(gw, text)
        expect(answer.status, `${text}: ${JSON.stringify(answer.body)}`).toBe(503)
        expect(answer.body.code).toBe('HOOKGATE_OVERLOADED')
        expect(Number(answer.retryAfter)).toBeGreaterThan(0)
        expect(answer.ms).toBeLessThan(1000)
      }
      // Refused at the limit, before anything else was looked at.
      expect(gw.audit().filter((e) => e.event === 'rejected').map((e) => e.reason)).toEqual(['rate_limit_unavailable', 'rate_limit_unavailable', 'rate_limit_unavailable'])
      const ready = await gw.app.inject({ method: 'GET', url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expect(ready.json()).toEqual({ status: 'store unavailable' })
    } finally {
      await redis.restart()
    }
    await (gw.app.gateway.registry.store as RedisStore).ready(5000)
    expect((await send(gw, 'after')).status).toBe(202)
    expect((await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
  })

  it('with rate_limit_fail_open the limits let requests through uncounted; the store still refuses what needs it, as fast', async () => {
    const gw = await gateway(true)
    await redis.stop()
    try {
      const run = await send(gw, 'a run')
      expect(run.status).toBe(503)
      expect(run.ms).toBeLessThan(1000)
    } finally {
      await redis.restart()
    }
    const reasons = gw.audit().filter((e) => e.event === 'rejected').map((e) => e.reason)
    expect(reasons).toEqual(['unavailable'])
  })
})
