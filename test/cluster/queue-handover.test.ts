// execution: workers, when the run queue fails right after a run was recorded (Redis went away
// between the run's record and its job): the run is accepted and handed to the queue once it answers
// again, instead of ending interrupted; cancelling it or a shutdown meanwhile ends it on the gateway.
// A real redis-server, the real RedisStore and the real BullMQ queue, whose first adds are made to
// fail.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { RunQueue } from '../../src/cluster/run-queue.ts'
import { RunRegistry, type RemoteQueue } from '../../src/runs/registry.ts'
import type { RunRequest } from '../../src/runs/run-state.ts'
import { QUEUE_OWNER } from '../../src/store/shared-store.ts'
import { RedisStore } from '../../src/store/redis-store.ts'
import { waitFor } from '../helpers/gateway-process.ts'
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.ts'

let redis: RedisServer
beforeAll(async () => { redis = await startRedis() })
afterAll(stopAllRedis)

const request: RunRequest = { caller: 'ci', user: 'ana', thread: null, command: 'run', prompt: 'hello', tools: { allow: [], deny: [] } }

/** The real queue, whose next `failures` adds fail as an unreachable Redis makes them fail. */
class FailingQueue implements RemoteQueue {
  failures: number
  readonly added: string[] = []
  readonly #queue: RunQueue
  constructor (queue: RunQueue, failures: number) {
    this.#queue = queue
    this.failures = failures
  }

  async depth (): Promise<number> { return await this.#queue.depth() }
  async remove (runId: string): Promise<void> { await this.#queue.remove(runId) }
  async enqueue (runId: string): Promise<void> {
    if (this.failures > 0) {
      this.failures--
      throw new Error('Reached the max retries per request limit (which is 1)')
    }
    await this.#queue.enqueue(runId)
    this.added.push(runId)
  }
}

async function setup (failures: number): Promise<{ registry: RunRegistry, store: RedisStore, queue: FailingQueue, audit: string[] }> {
  const prefix = `t${randomBytes(4).toString('hex')}:`
  const store = new RedisStore({ url: redis.url, prefix })
  expect(await store.ready(5000)).toBe(true)
  const runQueue = new RunQueue({ connection: store.connectionOptions(), prefix: `${prefix}bull`, timeoutMs: 2000 })
  const queue = new FailingQueue(runQueue, failures)
  const audit: string[] = []
  const registry = new RunRegistry({
    concurrency: 1,
    queue: 10,
    demo: false,
    execute: async () => { throw new Error('a gateway with execution: workers runs nothing itself') },
    store,
    retryMs: 50,
    instance: 'gw-test',
    remote: queue,
    hooks: {
      onAccepted: (run) => { audit.push(`accepted ${run.id}`) },
      onFinished: (run) => { audit.push(`finished ${run.id} ${run.status}`) }
    }
  })
  onTestFinished(async () => {
    await registry.drain('test over').catch(() => {})
    await runQueue.close()
    await store.close()
  })
  return { registry, store, queue, audit }
}

describe('a run whose queue job cannot be added at once', () => {
  it('is accepted, stays queued, and is handed to the queue once it answers again', async () => {
    const { registry, store, queue, audit } = await setup(3)
    const result = await registry.accept(request, [])
    expect(result.kind).toBe('accepted')
    const id = (result as { run: { id: string } }).run.id
    expect((await store.getRun(id))?.run.status).toBe('queued')
    expect(registry.holds(id)).toBe(true)
    // 250 + 500 + 1000 ms of backoff for three failures, then the job is added and the run handed over.
    await waitFor(() => registry.holds(id) ? undefined : true, 10_000, 25)
    expect(queue.added).toEqual([id])
    expect(queue.failures).toBe(0)
    expect(await store.ownerOf(id)).toBe(QUEUE_OWNER)
    expect(await queue.depth()).toBe(1)
    expect((await store.getRun(id))?.run.status).toBe('queued')
    expect(audit).toEqual([`accepted ${id}`])
  })

  it('ends cancelled when cancelled before the queue answers, and its job is never added', async () => {
    const { registry, store, queue, audit } = await setup(1_000)
    const result = await registry.accept(request, [])
    const run = (result as { run: Awaited<ReturnType<RunRegistry['get']>> & object }).run
    expect(registry.cancel(run.id, 'cancelled by request')).toBe(true)
    await run.finished
    expect((await store.getRun(run.id))?.run).toMatchObject({ status: 'cancelled', error: 'cancelled by request' })
    expect(queue.added).toEqual([])
    expect(audit).toEqual([`accepted ${run.id}`, `finished ${run.id} cancelled`])
  })

  it('ends interrupted, not started, when the gateway shuts down before the queue answers', async () => {
    const { registry, store, queue, audit } = await setup(1_000)
    const result = await registry.accept(request, [])
    const run = (result as { run: Awaited<ReturnType<RunRegistry['get']>> & object }).run
    await registry.drain('gateway shutdown')
    expect((await store.getRun(run.id))?.run).toMatchObject({ status: 'interrupted', error: 'not started: gateway shutdown' })
    expect(queue.added).toEqual([])
    expect(audit).toEqual([`accepted ${run.id}`, `finished ${run.id} interrupted`])
  })
})
