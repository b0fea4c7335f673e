// `hookgate worker --metrics-port`: a real worker process on a real redis-server serves GET /metrics
// on its own listener, with the config's metrics.token, and counts the runs it executes; without the
// flag it listens on nothing. Bad flags are usage errors. A gateway with execution: workers counts
// the runs waiting in the shared queue.
import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chaosConfig, cleanupGatewayProcesses, postSigned, runHookgate, startGatewayProcess, waitFor } from '../helpers/gateway-process.ts'
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.ts'
import { body, getRun } from '../reliability/util.ts'

const METRICS_TOKEN = 'worker-metrics-token-0123456789'

let redis: RedisServer
beforeAll(async () => { redis = await startRedis() })
afterAll(stopAllRedis)
afterEach(cleanupGatewayProcesses)

function config (metrics: string, url = redis.url): string {
  return chaosConfig({ extra: `store: ${url}
execution: workers
redis: { prefix: "t${randomBytes(4).toString('hex')}:", lease: 3 }
metrics: ${metrics}` })
}

const metricsUrlOf = (output: string): string | undefined => /hookgate worker metrics at (http:\/\/\S+)/.exec(output)?.[1]

describe('hookgate worker --metrics-port', () => {
  it('serves the worker\'s metrics behind metrics.token: the runs it executed, its process and event loop', async () => {
    const yaml = config(`{ token: ${METRICS_TOKEN} }`)
    const gateway = await startGatewayProcess(yaml)
    const worker = await startGatewayProcess(yaml, { command: 'worker', args: ['--metrics-port', '0'] })
    const url = metricsUrlOf(worker.output())
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)

    const a = await postSigned(gateway.url, body('ms=50'), { async: true })
    expect(a.status, a.text).toBe(202)
    const id = String(a.body!.id)
    await waitFor(async () => (await getRun(gateway.url, id)).run?.status === 'succeeded' ? true : undefined, 20_000)

    const bearer = { authorization: `Bearer ${METRICS_TOKEN}` }
    const scrape = async (): Promise<string> => await (await fetch(url!, { headers: bearer })).text()
    await waitFor(async () => (await scrape()).includes('hookgate_runs_finished_total{caller="ci",status="succeeded"} 1') ? true : undefined, 5_000)
    const res = await fetch(url!, { headers: bearer })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const text = await res.text()
    expect(text).toMatch(/^hookgate_run_duration_seconds_count\{status="succeeded"\} 1$/m)
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m)
    expect(text).toMatch(/^hookgate_event_loop_delay_seconds_count [1-9]\d*$/m)
    // The gateway ran nothing itself: its own count has no such series.
    expect(await (await fetch(`${gateway.url}/metrics`)).text()).not.toContain('hookgate_runs_finished_total{caller="ci",status="succeeded"}')

    for (const [why, headers] of [['no token', {}], ['wrong token', { authorization: 'Bearer not-the-metrics-token' }], ['token in another scheme', { authorization: `Basic ${METRICS_TOKEN}` }]] as const) {
      const refused = await fetch(url!, { headers })
      expect(refused.status, why).toBe(401)
      expect(await refused.json(), why).toEqual({ statusCode: 401, code: 'HOOKGATE_UNAUTHORIZED', error: 'Unauthorized', message: 'Unauthorized' })
    }
    for (const [method, path] of [['GET', '/'], ['GET', '/metricsx'], ['POST', '/metrics'], ['GET', '/v1/runs']] as const) {
      const other = await fetch(new URL(path, url!), { method, headers: bearer })
      expect(other.status, `${method} ${path}`).toBe(404)
      expect((await other.json() as { code: string }).code).toBe('HOOKGATE_NOT_FOUND')
    }

    // SIGTERM: the worker drains and exits 0, and the listener goes with it.
    worker.kill('SIGTERM')
    expect((await worker.exited).code).toBe(0)
    await expect(fetch(url!, { headers: bearer })).rejects.toThrow()
  })

  it('answers 404 with metrics.enabled: false, and serves nothing at all without the flag', async () => {
    const disabled = await startGatewayProcess(config('{ enabled: false }'), { command: 'worker', args: ['--metrics-port', '0'] })
    const res = await fetch(metricsUrlOf(disabled.output())!)
    expect(res.status).toBe(404)
    expect((await res.json() as { code: string }).code).toBe('HOOKGATE_NOT_FOUND')

    const plain = await startGatewayProcess(config('{}'), { command: 'worker' })
    expect(metricsUrlOf(plain.output())).toBeUndefined()
  })

  it('refuses bad flags with a usage error, and a port in use with the flag to change', async () => {
    for (const args of [['--metrics-port', '70000'], ['--metrics-port', 'nine'], ['--metrics-host', '127.0.0.1']]) {
      const r = await runHookgate(['worker', ...args], process.cwd())
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(/--metrics-(port|host)/)
    }
    const first = await startGatewayProcess(config('{}'), { command: 'worker', args: ['--metrics-port', '0'] })
    const port = new URL(metricsUrlOf(first.output())!).port
    await expect(startGatewayProcess(config('{}'), { command: 'worker', args: ['--metrics-port', port] })).rejects.toThrow(/address is in use.*--metrics-port/)
  })
})

describe('hookgate_runs_shared_queue', () => {
  it('counts the runs waiting for a worker on a gateway with execution: workers, and says NaN while Redis is down', async () => {
    const own = await startRedis()
    const yaml = config('{}', own.url)
    const gateway = await startGatewayProcess(yaml)
    const gauge = async (): Promise<string | undefined> => /^hookgate_runs_shared_queue (\S+)$/m.exec(await (await fetch(`${gateway.url}/metrics`)).text())?.[1]
    expect(await gauge()).toBe('0')
    for (let i = 0; i < 3; i++) expect((await postSigned(gateway.url, body('ms=50'), { async: true })).status).toBe(202)
    expect(await gauge()).toBe('3')

    await startGatewayProcess(yaml, { command: 'worker' })
    await waitFor(async () => await gauge() === '0' ? true : undefined, 20_000)

    await own.stop()
    const started = Date.now()
    const res = await fetch(`${gateway.url}/metrics`)
    expect(res.status).toBe(200)
    // prom-client writes NaN as "Nan", which Prometheus reads (Go's ParseFloat ignores the case).
    expect(/^hookgate_runs_shared_queue (\S+)$/m.exec(await res.text())?.[1]).toMatch(/^nan$/i)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
