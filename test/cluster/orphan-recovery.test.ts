// The lease check ends the runs of a process that died, except what that process had already ended:
// a run whose `result` is in its stream keeps that outcome (readers saw it, its audit line was
// written); only the final record is completed, and no second result is appended.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { RunRegistry } from '../../src/runs/registry.ts'
import type { Run } from '../../src/schemas/run.ts'
import { RedisStore } from '../../src/store/redis-store.ts'
import { runObject } from '../helpers/run-object.ts'
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.ts'

let redis: RedisServer
beforeAll(async () => { redis = await startRedis() })
afterAll(stopAllRedis)

const T0 = Date.parse('2026-11-21T10:00:00Z')

async function store (): Promise<RedisStore> {
  const s = new RedisStore({ url: redis.url, prefix: `orphan-${randomUUID()}:` })
  onTestFinished(() => s.close())
  if (!(await s.ready(5000))) throw new Error('no Redis')
  return s
}

function registry (s: RedisStore, recovered: Run[]): RunRegistry {
  return new RunRegistry({
    concurrency: 1,
    queue: 1,
    demo: false,
    store: s,
    instance: 'live-instance',
    execute: async () => { throw new Error('recovery never executes') },
    hooks: { onRecovered: (run) => { recovered.push(run) } }
  })
}

async function orphan (s: RedisStore, id: string): Promise<void> {
  await s.createRun({
    run: runObject(id, T0),
    request: { caller: 'ci', user: null, thread: null, command: 'run', prompt: 'p', tools: { allow: [], deny: [] } },
    tokenHash: 'ab'.repeat(32),
    keys: [],
    now: T0,
    keysExpireAt: T0 + 7 * 86_400_000,
    owner: 'dead-instance'
  })
  await s.claimRun(runObject(id, T0, { status: 'running', started_at: new Date(T0 + 1).toISOString() }), 'dead-instance')
  await s.appendEvents(id, [{ seq: 1, event: 'text', data: { text: 'working' } }], 1)
}

describe('ending the runs of a dead process', () => {
  it('interrupts a run its owner left running, once, with one result', async () => {
    const s = await store()
    await orphan(s, 'run_left')
    const audited: Run[] = []
    expect((await registry(s, audited).recover()).map((r) => r.status)).toEqual(['interrupted'])
    expect(audited.map((r) => r.status)).toEqual(['interrupted'])
    const events = (await s.readEvents('run_left', 0, 10)).events
    expect(events.map((e) => e.event)).toEqual(['text', 'result'])
    expect((await s.getRun('run_left'))!.run.status).toBe('interrupted')
  })

  it('completes the record of a run its owner had already ended and published, keeping that outcome and auditing nothing twice', async () => {
    const s = await store()
    await orphan(s, 'run_done')
    const cancelled = runObject('run_done', T0, { status: 'cancelled', started_at: new Date(T0 + 1).toISOString(), finished_at: new Date(T0 + 2).toISOString(), error: 'cancelled through the API' })
    await s.appendEvents('run_done', [{ seq: 2, event: 'result', data: cancelled }], 1)
    const audited: Run[] = []
    expect((await registry(s, audited).recover()).map((r) => r.status)).toEqual(['cancelled'])
    expect(audited).toEqual([])
    expect((await s.getRun('run_done'))!.run).toEqual(cancelled)
    expect((await s.readEvents('run_done', 0, 10)).events.map((e) => e.event)).toEqual(['text', 'result'])
    expect(await s.orphanedRuns()).toEqual([])
  })
})
