// Scale-out with real processes on a real redis-server: two `hookgate serve` replicas with
// `execution: workers` and `hookgate worker` processes, all sharing one Redis. A run accepted by one
// replica is followed, resumed and cancelled through the other; rate limits hold across both; a
// worker killed with SIGKILL has its runs interrupted within the lease and never re-run; Redis
// stopped and restarted under load makes nothing hang and loses nothing.
import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_TOKEN, chaosConfig, cleanupGatewayProcesses, descendantsAlive, followEvents, isAlive, postSigned,
  sleep, spawnRecords, startGatewayProcess, waitFor, type Answer, type GatewayProcess
} from '../helpers/gateway-process.ts'
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.ts'
import { body, getRun } from '../reliability/util.ts'
import { FAKE_CLAUDE } from '../helpers/build-app.ts'
import { readAudit } from '../helpers/conservation.ts'

const LEASE_S = 3
const LIMITED_SECRET = 'limited-caller-secret-0123456789abcdef'

let redis: RedisServer

beforeAll(async () => { redis = await startRedis() })
afterAll(stopAllRedis)
afterEach(cleanupGatewayProcesses)

interface ClusterOptions {
  url: string
  prefix: string
  execution?: 'local' | 'workers'
  concurrency?: number
  queue?: number
}

/** One config for every process of a deployment (each gets its own state_dir from the helper). */
function clusterConfig (o: ClusterOptions): string {
  return chaosConfig({
    concurrency: o.concurrency ?? 2,
    queue: o.queue ?? 20,
    callers: `  limited:
    scheme: hmac-sha256
    secrets: ["${LIMITED_SECRET}"]
    commands: [run]
    default_command: run
    rate_limit: { max: 3, window: 600 }`,
    extra: `store: ${o.url}
execution: ${o.execution ?? 'workers'}
redis: { prefix: "${o.prefix}", lease: ${LEASE_S} }`
  })
}

function prefix (): string {
  return `t${randomBytes(4).toString('hex')}:`
}

async function cluster (o: ClusterOptions & { gateways: number, workers: number }): Promise<{ gateways: GatewayProcess[], workers: GatewayProcess[] }> {
  const yaml = clusterConfig(o)
  const gateways = await Promise.all(Array.from({ length: o.gateways }, async () => await startGatewayProcess(yaml)))
  const workers = await Promise.all(Array.from({ length: o.workers }, async () => await startGatewayProcess(yaml, { command: 'worker' })))
  return { gateways, workers }
}

async function accepted (a: Answer): Promise<{ id: string, token: string }> {
  expect(a.status, a.text).toBe(202)
  return { id: String(a.body!.id), token: String(a.body!.token) }
}

async function statusOn (gw: GatewayProcess, id: string): Promise<string> {
  return String((await getRun(gw.url, id)).run?.status)
}

const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted'])

describe('replicas and a worker sharing one Redis', () => {
  it('a run accepted by gateway A is executed by the worker and streamed from gateway B, resuming after Last-Event-ID without gaps or duplicates', async () => {
    const { gateways: [a, b], workers: [w] } = await cluster({ url: redis.url, prefix: prefix(), gateways: 2, workers: 1 })
    const run = await accepted(await postSigned(a!.url, body('ms=2000'), { async: true }))

    const first = followEvents(`${b!.url}/v1/runs/${run.id}/events`, { headers: { authorization: `Bearer ${run.token}` } })
    await waitFor(() => first.frames.length >= 4 ? true : undefined, 10_000)
    first.abort()
    await first.done
    const seen = first.frames.filter((f) => f.id !== null)
    const last = seen.at(-1)!.id!

    const rest = followEvents(`${b!.url}/v1/runs/${run.id}/events`, { headers: { authorization: `Bearer ${run.token}`, 'last-event-id': String(last) } })
    const { frames, ended, error } = await rest.done
    expect(error).toBeNull()
    expect(ended).toBe(true)
    expect(frames[0]!.id).toBe(last + 1)
    const ids = [...seen, ...frames].map((f) => f.id)
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1))
    const result = frames.at(-1)!
    expect(result.event).toBe('result')
    expect(result.data.status).toBe('succeeded')
    expect(frames.some((f) => f.event === 'text' || f.event === 'log')).toBe(true)

    // The worker ran it (the replicas run nothing), exactly once; A replays the same stream from the start.
    expect(spawnRecords(w!).filter((s) => s.run === run.id)).toHaveLength(1)
    expect([...spawnRecords(a!), ...spawnRecords(b!)]).toHaveLength(0)
    const replay = await followEvents(`${a!.url}/v1/runs/${run.id}/events`, { headers: { authorization: `Bearer ${run.token}` } }).done
    expect(replay.frames.map((f) => f.id)).toEqual(ids)
  }, 60_000)

  it('a running run accepted by A is cancelled through B: the worker stops its agent and the run ends cancelled on both', async () => {
    const { gateways: [a, b], workers: [w] } = await cluster({ url: redis.url, prefix: prefix(), gateways: 2, workers: 1 })
    const run = await accepted(await postSigned(a!.url, body('ms=30000'), { async: true }))
    await waitFor(async () => await statusOn(b!, run.id) === 'running' ? true : undefined, 15_000)
    const agent = await waitFor(() => spawnRecords(w!).find((s) => s.run === run.id), 5000)

    const res = await fetch(`${b!.url}/v1/runs/${run.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${run.token}` } })
    expect(res.status, await res.clone().text()).toBe(202)
    await waitFor(async () => await statusOn(a!, run.id) === 'cancelled' ? true : undefined, 10_000)
    expect(await statusOn(b!, run.id)).toBe('cancelled')
    await waitFor(() => isAlive(agent.pid) ? undefined : true, 5000)

    // A second cancel finds it final, on either replica.
    const again = await fetch(`${a!.url}/v1/runs/${run.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${run.token}` } })
    expect(again.status).toBe(409)
  }, 60_000)

  it('a run still waiting in the queue is cancelled by the replica that is asked, and no worker ever starts it', async () => {
    // No worker yet: the run waits in the shared queue.
    const { gateways: [a, b] } = await cluster({ url: redis.url, prefix: prefix(), gateways: 2, workers: 0 })
    const run = await accepted(await postSigned(a!.url, body('ms=100'), { async: true }))
    expect(await statusOn(b!, run.id)).toBe('queued')
    const res = await fetch(`${b!.url}/v1/runs/${run.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(res.status).toBe(202)
    expect(await statusOn(a!, run.id)).toBe('cancelled')

    const w = await startGatewayProcess(clusterConfig({ url: redis.url, prefix: (await adminPrefix(a!)) }), { command: 'worker' })
    const next = await accepted(await postSigned(b!.url, body('ms=100'), { async: true }))
    await waitFor(async () => await statusOn(a!, next.id) === 'succeeded' ? true : undefined, 15_000)
    expect(spawnRecords(w).map((s) => s.run)).toEqual([next.id])
    expect(await statusOn(b!, run.id)).toBe('cancelled')
  }, 60_000)

  it('a caller\'s rate limit holds across replicas: three runs in the window, wherever they arrive', async () => {
    const { gateways: [a, b] } = await cluster({ url: redis.url, prefix: prefix(), gateways: 2, workers: 0 })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      const gw = i % 2 === 0 ? a! : b!
      statuses.push((await postSigned(gw.url, body('ms=10'), { caller: 'limited', secret: LIMITED_SECRET, async: true })).status)
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429, 429])
    // Another caller is not affected.
    expect((await postSigned(b!.url, body('ms=10'), { async: true })).status).toBe(202)
  }, 60_000)
})

describe('replicas that run their own agents (execution: local)', () => {
  it('a run executing on A is followed and cancelled through B; killing A with SIGKILL gets its other runs interrupted by B within the lease', async () => {
    const yaml = clusterConfig({ url: redis.url, prefix: prefix(), execution: 'local' })
    const [a, b] = await Promise.all([startGatewayProcess(yaml), startGatewayProcess(yaml)])
    const first = await accepted(await postSigned(a.url, body('ms=30000'), { async: true }))
    const second = await accepted(await postSigned(a.url, body('ms=30000'), { async: true }))
    for (const run of [first, second]) await waitFor(async () => await statusOn(b, run.id) === 'running' ? true : undefined, 15_000)
    await waitFor(() => spawnRecords(a).length === 2 ? true : undefined, 5000)
    expect(spawnRecords(a).map((s) => s.run).sort()).toEqual([first.id, second.id].sort())

    const stream = followEvents(`${b.url}/v1/runs/${first.id}/events`, { headers: { authorization: `Bearer ${first.token}` } })
    await waitFor(() => stream.frames.some((f) => f.event === 'log' || f.event === 'text') ? true : undefined, 10_000)
    const res = await fetch(`${b.url}/v1/runs/${first.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${first.token}` } })
    expect(res.status).toBe(202)
    const { frames } = await stream.done
    expect(frames.at(-1)).toMatchObject({ event: 'result', data: { status: 'cancelled' } })

    a.kill('SIGKILL')
    const killedAt = Date.now()
    await waitFor(async () => await statusOn(b, second.id) === 'interrupted' ? true : undefined, 4 * LEASE_S * 1000)
    expect(Date.now() - killedAt).toBeLessThan(LEASE_S * 1000 * 1.5 + 1500)
    await waitFor(() => descendantsAlive([second.id]).length === 0 ? true : undefined, 5000)
    expect(await statusOn(b, first.id)).toBe('cancelled')
  }, 60_000)
})

/** The fake `claude` (stream-json in and out, the stdio permission protocol) as the agent. */
function claudeConfig (o: ClusterOptions): string {
  return clusterConfig(o).replace(/agent:\n(  .*\n)+/, `agent:
  profile: claude
  command: ${process.execPath}
  args: [${FAKE_CLAUDE}]
  env: [FAKE_CLAUDE_MODE, FAKE_CLAUDE_DELAY_MS]
  timeout: 30
  kill_grace: 1
`)
}

describe('control messages reach the worker holding the run', () => {
  it('a permission question asked on the worker is seen through B and answered through B; the agent goes on', async () => {
    const yaml = claudeConfig({ url: redis.url, prefix: prefix() })
    const [a, b] = await Promise.all([startGatewayProcess(yaml), startGatewayProcess(yaml)])
    await startGatewayProcess(yaml, { command: 'worker', env: { FAKE_CLAUDE_MODE: 'ask' } })
    const run = await accepted(await postSigned(a.url, JSON.stringify({ text: 'push my branch', user: 'ann', thread: 't1' }), { async: true }))

    const stream = followEvents(`${b.url}/v1/runs/${run.id}/events`, { headers: { authorization: `Bearer ${run.token}` } })
    const asked = await waitFor(() => stream.frames.find((f) => f.event === 'permission')?.data as { pid: string, tool: string } | undefined, 15_000)
    expect(asked.tool).toBe('Bash')
    const res = await fetch(`${b.url}/v1/runs/${run.id}/permissions/${asked.pid}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'allow' })
    })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await res.json()).toEqual({ pid: asked.pid, run: run.id, tool: 'Bash', decision: 'allow' })
    const { frames } = await stream.done
    const result = frames.at(-1)!
    expect(result.data.status).toBe('succeeded')
    expect(JSON.parse(result.data.output).decisions).toEqual([{ tool: 'Bash', behavior: 'allow' }])

    // The question is decided: a second answer through A is refused as such.
    const again = await fetch(`${a.url}/v1/runs/${run.id}/permissions/${asked.pid}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'deny' })
    })
    expect([404, 409]).toContain(again.status)
  }, 60_000)

  it('a steering message sent through B goes live into the agent running on the worker', async () => {
    const yaml = claudeConfig({ url: redis.url, prefix: prefix() })
    const [a, b] = await Promise.all([startGatewayProcess(yaml), startGatewayProcess(yaml)])
    await startGatewayProcess(yaml, { command: 'worker', env: { FAKE_CLAUDE_MODE: 'slow', FAKE_CLAUDE_DELAY_MS: '100' } })
    const run = await accepted(await postSigned(a.url, JSON.stringify({ text: 'investigate the flaky test', user: 'ann', thread: 't1' }), { async: true }))
    await waitFor(async () => await statusOn(b, run.id) === 'running' ? true : undefined, 15_000)
    const res = await fetch(`${b.url}/v1/runs/${run.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'also check the retry logic' })
    })
    expect(res.status, await res.clone().text()).toBe(202)
    expect(await res.json()).toMatchObject({ delivered: 'live' })
    await waitFor(async () => await statusOn(a, run.id) === 'succeeded' ? true : undefined, 30_000)
    const output = String((await getRun(a.url, run.id)).run!.output)
    expect(output.split('\n\n').map((p) => (JSON.parse(p) as { prompt: string }).prompt)).toEqual(['investigate the flaky test', 'also check the retry logic'])
  }, 60_000)
})

describe('a worker killed with SIGKILL', () => {
  it(`has its running runs interrupted within the lease (${LEASE_S} s), its agents killed, and no run executed twice`, async () => {
    const { gateways: [a], workers: [w1] } = await cluster({ url: redis.url, prefix: prefix(), gateways: 1, workers: 1 })
    const runs = [
      await accepted(await postSigned(a!.url, body('ms=30000'), { async: true })),
      await accepted(await postSigned(a!.url, body('ms=30000 grandchild=setsid'), { async: true }))
    ]
    for (const run of runs) await waitFor(async () => await statusOn(a!, run.id) === 'running' ? true : undefined, 15_000)
    await waitFor(() => spawnRecords(w1!).length === 2 ? true : undefined, 5000)

    w1!.kill('SIGKILL')
    const killedAt = Date.now()
    await w1!.exited
    for (const run of runs) {
      await waitFor(async () => await statusOn(a!, run.id) === 'interrupted' ? true : undefined, 4 * LEASE_S * 1000)
    }
    const took = Date.now() - killedAt
    console.log(`worker SIGKILL → runs interrupted after ${took} ms (lease ${LEASE_S * 1000} ms)`)
    // A lease, plus at most half a lease until the next check, plus the check itself.
    expect(took).toBeLessThan(LEASE_S * 1000 * 1.5 + 1500)
    const interrupted = (await getRun(a!.url, runs[0]!.id)).run!
    expect(interrupted.error).toMatch(/no heartbeat within its lease/)
    await waitFor(() => descendantsAlive(runs.map((r) => r.id)).length === 0 ? true : undefined, 5000)

    // A new worker takes new runs but never the interrupted ones.
    const w2 = await startGatewayProcess(clusterConfig({ url: redis.url, prefix: await adminPrefix(a!) }), { command: 'worker' })
    const next = await accepted(await postSigned(a!.url, body('ms=100'), { async: true }))
    await waitFor(async () => await statusOn(a!, next.id) === 'succeeded' ? true : undefined, 15_000)
    await sleep(500)
    expect(spawnRecords(w2).map((s) => s.run)).toEqual([next.id])
    for (const run of runs) expect(await statusOn(a!, run.id)).toBe('interrupted')
  }, 90_000)
})

describe('Redis stopped and restarted under load', () => {
  it('no request hangs (each answered within 1.5 s, 503 while Redis is away), no accepted run is lost, and the books balance', async () => {
    const durable = await startRedis({ persist: true })
    const p = prefix()
    const yaml = clusterConfig({ url: durable.url, prefix: p, concurrency: 3, queue: 200 })
    const a = await startGatewayProcess(yaml)
    const w = await startGatewayProcess(yaml, { command: 'worker' })

    const answers: Answer[] = []
    let stop = false
    const load = (async () => {
      while (!stop) {
        answers.push(await postSigned(a.url, body('ms=800'), { async: true, signal: AbortSignal.timeout(5000) }))
        await sleep(50)
      }
    })()
    await sleep(1500)
    await durable.stop()
    const downAt = answers.length
    await sleep(1000)
    const ready = await fetch(`${a.url}/readyz`)
    expect(ready.status).toBe(503)
    await sleep(2500)
    await durable.restart()
    await sleep(2500)
    stop = true
    await load

    const slow = answers.filter((x) => x.ms > 1500)
    expect(slow.map((x) => `${x.status} in ${x.ms} ms`)).toEqual([])
    expect(new Set(answers.map((x) => x.status))).toEqual(new Set([202, 503]))
    expect(answers.slice(downAt).some((x) => x.status === 503)).toBe(true)
    const ok = answers.filter((x) => x.status === 202).map((x) => String(x.body!.id))
    expect(ok.length).toBeGreaterThan(10)
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200)

    // Every accepted run ends, and ends well: the ones running while Redis was away finished and were
    // recorded when it came back.
    const finals = new Map<string, string>()
    await waitFor(async () => {
      for (const id of ok) {
        if (finals.has(id)) continue
        const status = await statusOn(a, id)
        if (FINAL.has(status)) finals.set(id, status)
      }
      return finals.size === ok.length ? true : undefined
    }, 60_000, 250)
    const counts: Record<string, number> = {}
    for (const status of finals.values()) counts[status] = (counts[status] ?? 0) + 1
    console.log(`Redis outage under load: ${answers.length} requests, ${ok.length} accepted, ${answers.length - ok.length} refused (503); final: ${JSON.stringify(counts)}`)
    expect(counts).toEqual({ succeeded: ok.length })

    // Conservation: every accepted run is in the store once, final, and was executed once.
    const spawned = spawnRecords(w).map((s) => s.run)
    expect(new Set(spawned).size).toBe(spawned.length)
    expect(new Set(spawned)).toEqual(new Set(ok))
    const listed = await fetch(`${a.url}/v1/runs?limit=200`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then(async (r) => await r.json() as { runs: Array<{ id: string, status: string }> })
    expect(new Set(listed.runs.map((r) => r.id))).toEqual(new Set(ok))

    // Recounted from the audit logs: the gateway accepted exactly these, the worker finished exactly these.
    const gatewayLog = readAudit(a.stateDir)
    const workerLog = readAudit(w.stateDir)
    expect(new Set(gatewayLog.filter((r) => r.event === 'accepted').map((r) => r.run))).toEqual(new Set(ok))
    const finished = workerLog.filter((r) => r.event === 'finished').map((r) => r.run)
    expect(finished.length).toBe(ok.length)
    expect(new Set(finished)).toEqual(new Set(ok))

    // Every run's stream is whole: seq 1… without a gap, ending in its result, also for the runs
    // whose events waited in the worker's memory while Redis was away.
    for (const id of ok) {
      const { frames } = await followEvents(`${a.url}/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).done
      const ids = frames.map((f) => f.id)
      expect(ids, id).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1))
      expect(frames.at(-1)?.event, id).toBe('result')
      expect(frames.filter((f) => f.event === 'log' || f.event === 'text').length, id).toBeGreaterThan(0)
    }
  }, 120_000)
})

/** The key prefix a gateway of these tests uses (read back from its config, so helpers stay simple). */
async function adminPrefix (gw: GatewayProcess): Promise<string> {
  const { readFileSync } = await import('node:fs')
  const match = /prefix: "([^"]+)"/.exec(readFileSync(gw.configPath, 'utf8'))
  return match![1]!
}
