// The Redis store beyond the RunStore contract (store-contract.test.ts runs that part): the
// SharedStore guarantees several processes rely on (one claim, one finish, leases, conversation
// locks, wake-ups across processes), and what it does when Redis is down, hung, restarted or
// refuses the password. Everything runs against real redis-server processes; two RedisStore objects
// on one server stand for two gateway or worker processes.
import { randomUUID } from 'node:crypto'
import { getEventListeners } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { Run, RunEvent } from '../../src/schemas/run.ts'
import { unavailable } from '../../src/store/redis-connection.ts'
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis-store.ts'
import { StoreUnavailableError, type NewRun } from '../../src/store/run-store.ts'
import { QUEUE_OWNER, type InstanceInfo } from '../../src/store/shared-store.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { runObject as baseRun } from '../helpers/run-object.ts'
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.ts'

const DAY = 24 * 3600 * 1000
const T0 = Date.parse('2026-11-21T10:00:00Z')
const PASSWORD = 'pw-Zq81-never-in-messages'

let server: RedisServer

beforeAll(async () => { server = await startRedis() })
afterAll(async () => { await stopAllRedis() })

/** A store (a "process") on `on`, under `prefix`, connected, closed after the test. */
async function open (prefix: string, opts: Partial<RedisStoreOptions> = {}, on: RedisServer = server): Promise<RedisStore> {
  const store = new RedisStore({ url: on.url, prefix, ...opts })
  onTestFinished(() => store.close())
  if (!await store.ready(10_000)) throw new Error(`no connection to ${on.url}`)
  return store
}

/** Two processes sharing one fresh prefix. */
async function pair (): Promise<[RedisStore, RedisStore]> {
  const prefix = `hookgate-test:${randomUUID()}:`
  return [await open(prefix), await open(prefix)]
}

function runObject (id: string, patch: Partial<Run> = {}): Run {
  return baseRun(id, T0, patch)
}

function newRun (id: string, patch: Partial<NewRun> = {}): NewRun {
  return {
    run: runObject(id),
    request: { caller: 'ci', user: 'ana', thread: null, command: 'run', prompt: `prompt of ${id}`, tools: { allow: [], deny: [] } },
    tokenHash: 'ab'.repeat(32),
    keys: [],
    now: T0,
    keysExpireAt: T0 + 7 * DAY,
    ...patch
  }
}

function info (id: string): InstanceInfo {
  return { id, role: 'worker', host: 'test', pid: process.pid, running: 0, at: Date.now() }
}

const text = (seq: number): RunEvent => ({ seq, event: 'text', data: { text: `t${seq}` } })
const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const running = (id: string): Run => runObject(id, { status: 'running', started_at: new Date(T0 + 1).toISOString() })
const final = (id: string, status: Run['status'] = 'succeeded'): Run =>
  runObject(id, { status, started_at: new Date(T0 + 1).toISOString(), finished_at: new Date(T0 + 2).toISOString() })

/** Resolves with the ms the promise took, or rejects when it resolved instead of rejecting. */
async function rejectsWithin (work: () => Promise<unknown>): Promise<{ ms: number, error: unknown }> {
  const started = performance.now()
  try {
    await work()
  } catch (error) {
    return { ms: performance.now() - started, error }
  }
  throw new Error('expected a rejection')
}

async function until (what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!await check().catch(() => false)) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await sleep(50)
  }
}

describe('claimRun', () => {
  it('lets exactly one of two concurrent claims of a queued run win, and records its owner', async () => {
    const [a, b] = await pair()
    await a.createRun(newRun('run_a', { owner: QUEUE_OWNER }))
    const [ca, cb] = await Promise.all([a.claimRun(running('run_a'), 'inst-a'), b.claimRun(running('run_a'), 'inst-b')])
    expect([ca, cb].filter(Boolean)).toHaveLength(1)
    expect(await a.ownerOf('run_a')).toBe(ca ? 'inst-a' : 'inst-b')
    expect((await b.getRun('run_a'))?.run.status).toBe('running')
    expect(await a.countByStatus()).toEqual({ running: 1 })
    expect(await a.claimRun(running('run_a'), 'inst-c')).toBe(false)
  })

  it('refuses runs that are not queued: cancelled, finished or unknown', async () => {
    const [a] = await pair()
    await a.createRun(newRun('run_c'))
    await a.updateRun(final('run_c', 'cancelled'))
    await a.createRun(newRun('run_f'))
    await a.finishIfUnfinished(final('run_f'), { event: 'result', data: final('run_f') })
    expect(await a.claimRun(running('run_c'), 'inst-a')).toBe(false)
    expect(await a.claimRun(running('run_f'), 'inst-a')).toBe(false)
    expect(await a.claimRun(running('run_zz'), 'inst-a')).toBe(false)
    expect(await a.getRun('run_zz')).toBeNull()
    expect((await a.getRun('run_c'))?.run.status).toBe('cancelled')
    expect(await a.countByStatus()).toEqual({ cancelled: 1, succeeded: 1 })
  })
})

describe('finishIfUnfinished', () => {
  it('ends a run once among ten concurrent callers, appending exactly one result after the newest event', async () => {
    const [a, b] = await pair()
    await a.createRun(newRun('run_a', { owner: 'inst-a' }))
    await a.claimRun(running('run_a'), 'inst-a')
    await a.appendEvents('run_a', [text(1), text(2), text(3), text(4)], 3)
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b)
      .finishIfUnfinished(final('run_a', i === 0 ? 'succeeded' : 'interrupted'), { event: 'result', data: final('run_a') })))
    expect(results.filter(Boolean)).toHaveLength(1)
    const page = await b.readEvents('run_a', 0, 100)
    expect(page.events.map((e) => [e.seq, e.event])).toEqual([[3, 'text'], [4, 'text'], [5, 'result']])
    expect(page.events[2]!.data).toEqual(final('run_a'))
    expect(await a.lastSeq('run_a')).toBe(5)
    const winner = (await a.getRun('run_a'))!.run.status
    expect(await a.countByStatus()).toEqual({ [winner]: 1 })
    expect(await a.claimRun(running('run_a'), 'inst-b')).toBe(false)
    expect(await a.ownerOf('run_a')).toBeNull()
    expect(await a.unfinishedRuns()).toEqual([])
    expect(await a.finishIfUnfinished(final('run_a'), { event: 'result', data: final('run_a') })).toBe(false)
    expect(await a.lastSeq('run_a')).toBe(5)
    // Final, so retention applies to it.
    expect(await a.prune(T0 + 3, T0)).toMatchObject({ runs: 1 })
  })

  it('keeps the outcome of the process that ended the run: the former owner\'s late writes (after a partition) change nothing', async () => {
    const [owner, reaper] = await pair()
    await owner.createRun(newRun('run_p', { owner: 'inst-a' }))
    await owner.claimRun(running('run_p'), 'inst-a')
    await owner.appendEvents('run_p', [text(1), text(2)], 1)
    const interrupted = final('run_p', 'interrupted')
    expect(await reaper.finishIfUnfinished(interrupted, { event: 'result', data: interrupted })).toBe(true)
    // The partitioned owner comes back and records what its agent did meanwhile.
    await owner.appendEvents('run_p', [text(3), text(4), { seq: 5, event: 'result', data: final('run_p') }], 1)
    await owner.updateRun(final('run_p', 'succeeded'))
    expect((await reaper.getRun('run_p'))!.run.status).toBe('interrupted')
    const page = await reaper.readEvents('run_p', 0, 100)
    expect(page.events.map((e) => [e.seq, e.event])).toEqual([[1, 'text'], [2, 'text'], [3, 'result']])
    expect(page.events[2]!.data).toMatchObject({ status: 'interrupted' })
    expect(await reaper.countByStatus()).toEqual({ interrupted: 1 })
  })

  it('ends a queued run too, numbering its result after events that were trimmed away', async () => {
    const [a] = await pair()
    await a.createRun(newRun('run_q'))
    await a.appendEvents('run_q', [text(1), text(2)], 1)
    await a.appendEvents('run_q', [], 9)
    expect(await a.lastSeq('run_q')).toBe(0)
    expect(await a.finishIfUnfinished(final('run_q', 'cancelled'), { event: 'result', data: final('run_q', 'cancelled') })).toBe(true)
    expect((await a.readEvents('run_q', 0, 10)).events.map((e) => e.seq)).toEqual([3])
    expect(await a.finishIfUnfinished(final('run_zz'), { event: 'result', data: final('run_zz') })).toBe(false)
    expect(await a.readEvents('run_zz', 0, 10)).toEqual({ events: [], reset: false })
  })
})

describe('leases and owners', () => {
  it('lists unfinished runs whose owner lost its lease, never those of live owners or of the queue', async () => {
    const [a, b] = await pair()
    await a.heartbeat(info('short'), 200)
    await b.heartbeat(info('long'), 60_000)
    await a.createRun(newRun('run_1', { owner: 'short' }))
    await a.createRun(newRun('run_2', { owner: 'long' }))
    await a.createRun(newRun('run_3', { owner: QUEUE_OWNER }))
    await a.createRun(newRun('run_4'))
    await a.createRun(newRun('run_5', { owner: 'short' }))
    await a.updateRun(final('run_5'))
    await a.claimRun(running('run_3'), 'long')
    await a.createRun(newRun('run_6', { owner: QUEUE_OWNER }))
    expect((await b.orphanedRuns()).map((r) => r.run.id)).toEqual(['run_4'])
    expect((await b.instances()).map((i) => i.id).sort()).toEqual(['long', 'short'])
    await sleep(300)
    const orphans = await b.orphanedRuns()
    expect(orphans.map((r) => r.run.id)).toEqual(['run_1', 'run_4'])
    expect(orphans[0]).toMatchObject({ request: { prompt: 'prompt of run_1' }, tokenHash: 'ab'.repeat(32), process: null })
    expect(await b.instances()).toEqual([info('long')].map((i) => ({ ...i, at: expect.any(Number) as number })))
    await b.leave('long')
    expect((await a.orphanedRuns()).map((r) => r.run.id)).toEqual(['run_1', 'run_2', 'run_3', 'run_4'])
    expect(await a.instances()).toEqual([])
    // A heartbeat renews: back alive, its runs are no longer orphans.
    await b.heartbeat(info('long'), 60_000)
    expect((await a.orphanedRuns()).map((r) => r.run.id)).toEqual(['run_1', 'run_4'])
  })

  it('moves a run between owners only from the owner it still has (compare and set)', async () => {
    const [a, b] = await pair()
    await a.createRun(newRun('run_a', { owner: 'inst-a' }))
    expect(await a.ownerOf('run_a')).toBe('inst-a')
    expect(await b.transferRun('run_a', 'inst-b', 'inst-c')).toBe(false)
    expect(await a.ownerOf('run_a')).toBe('inst-a')
    const moves = await Promise.all([a.transferRun('run_a', 'inst-a', QUEUE_OWNER), b.transferRun('run_a', 'inst-a', 'inst-b')])
    expect(moves.filter(Boolean)).toHaveLength(1)
    expect(await b.ownerOf('run_a')).toBe(moves[0] === true ? QUEUE_OWNER : 'inst-b')
    await a.updateRun(final('run_a'))
    const owner = moves[0] === true ? QUEUE_OWNER : 'inst-b'
    expect(await a.transferRun('run_a', owner, 'inst-d')).toBe(false)
    expect(await a.ownerOf('run_a')).toBeNull()
    expect(await a.ownerOf('run_zz')).toBeNull()
    expect(await a.transferRun('run_zz', owner, 'inst-d')).toBe(false)
  })

  it('locks a conversation for one run of a live instance, and gives it up when that lease lapses', async () => {
    const [a, b] = await pair()
    await a.heartbeat(info('inst-a'), 250)
    await b.heartbeat(info('inst-b'), 60_000)
    expect(await a.conversationHolder('conv')).toBeNull()
    expect(await a.lockConversation('conv', 'inst-a', 'run_1')).toBe(true)
    expect(await b.lockConversation('conv', 'inst-b', 'run_2')).toBe(false)
    expect(await a.lockConversation('conv', 'inst-a', 'run_1')).toBe(true)
    expect(await b.conversationHolder('conv')).toEqual({ instance: 'inst-a', runId: 'run_1' })
    // Another conversation is independent.
    expect(await b.lockConversation('conv-2', 'inst-b', 'run_2')).toBe(true)
    await b.unlockConversation('conv', 'run_2')
    expect(await b.conversationHolder('conv')).toEqual({ instance: 'inst-a', runId: 'run_1' })
    await sleep(350)
    expect(await b.conversationHolder('conv')).toBeNull()
    expect(await b.lockConversation('conv', 'inst-b', 'run_2')).toBe(true)
    expect(await a.conversationHolder('conv')).toEqual({ instance: 'inst-b', runId: 'run_2' })
    await a.unlockConversation('conv', 'run_1')
    expect(await a.conversationHolder('conv')).toEqual({ instance: 'inst-b', runId: 'run_2' })
    await b.unlockConversation('conv', 'run_2')
    expect(await a.conversationHolder('conv')).toBeNull()
    expect(await a.lockConversation('conv', 'inst-b', 'run_3')).toBe(true)
  })

  it('settles concurrent locks of one conversation by two live instances to exactly one', async () => {
    const [a, b] = await pair()
    await a.heartbeat(info('inst-a'), 60_000)
    await b.heartbeat(info('inst-b'), 60_000)
    const got = await Promise.all([a.lockConversation('c', 'inst-a', 'run_a'), b.lockConversation('c', 'inst-b', 'run_b')])
    expect(got.filter(Boolean)).toHaveLength(1)
  })
})

describe('events', () => {
  it('takes a retried, overlapping batch without error or duplicates, and answers every cursor like SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookgate-redis-events-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const sqlite = new SqliteStore(dir)
    onTestFinished(() => sqlite.close())
    const [redis] = await pair()
    let n = 0
    const step = fc.record({ overlap: fc.nat({ max: 3 }), count: fc.nat({ max: 5 }), trim: fc.nat({ max: 3 }), limit: fc.integer({ min: 1, max: 4 }) })
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
      const id = `run_${n++}`
      for (const store of [sqlite, redis]) await store.createRun(newRun(id))
      let written = 0
      let keep = 0
      for (const s of steps) {
        const from = Math.max(1, written + 1 - s.overlap)
        const batch = Array.from({ length: s.count }, (_, i) => text(from + i))
        written = Math.max(written, from + s.count - 1)
        keep = Math.min(written + 2, keep + s.trim)
        for (const store of [sqlite, redis]) await store.appendEvents(id, batch, keep)
        expect(await redis.lastSeq(id)).toBe(await sqlite.lastSeq(id))
        for (let after = -1; after <= written + 2; after++) {
          for (const limit of [s.limit, 100]) {
            expect(await redis.readEvents(id, after, limit), `after ${after} limit ${limit}`).toEqual(await sqlite.readEvents(id, after, limit))
          }
        }
      }
    }), { numRuns: 40 })
  })

  it('wakes a waiter within 100 ms when another process appends', async () => {
    const [a, b] = await pair()
    await b.createRun(newRun('run_a'))
    await b.appendEvents('run_a', [text(1)], 1)
    const controller = new AbortController()
    let wokeAt = 0
    const waiting = a.waitForEvents('run_a', 1, controller.signal, 10_000).then(() => { wokeAt = performance.now() })
    await sleep(200)
    expect(wokeAt).toBe(0)
    const appendedAt = performance.now()
    await b.appendEvents('run_a', [text(2)], 1)
    await waiting
    expect(wokeAt - appendedAt).toBeLessThan(100)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    // A second wait is woken by a finish in the other process too.
    const again = a.waitForEvents('run_a', 2, controller.signal, 10_000).then(() => performance.now())
    await sleep(50)
    const finishedAt = performance.now()
    await b.finishIfUnfinished(final('run_a'), { event: 'result', data: final('run_a') })
    expect(await again - finishedAt).toBeLessThan(100)
  })

  it('resolves at once when an event after the cursor exists, and otherwise only for its own run and newer seqs', async () => {
    const [a, b] = await pair()
    await b.createRun(newRun('run_a'))
    await b.createRun(newRun('run_b'))
    await b.appendEvents('run_a', [text(1), text(2), text(3)], 1)
    const signal = new AbortController().signal
    // Subscribed already (the first wait subscribes), so only the check before waiting can see it.
    await a.waitForEvents('run_zz', 0, signal, 200)
    let started = performance.now()
    await a.waitForEvents('run_a', 2, signal, 10_000)
    expect(performance.now() - started).toBeLessThan(200)
    started = performance.now()
    const waiting = a.waitForEvents('run_a', 3, signal, 400)
    await sleep(50)
    await b.appendEvents('run_b', [text(4)], 1)
    await b.appendEvents('run_a', [text(2), text(3)], 1)
    await waiting
    expect(performance.now() - started).toBeGreaterThanOrEqual(390)
  })

  it('resolves a waiter on abort and on maxMs, cleaning up after itself', async () => {
    const [a] = await pair()
    const controller = new AbortController()
    let started = performance.now()
    const aborted = a.waitForEvents('run_a', 0, controller.signal, 10_000)
    setTimeout(() => controller.abort(), 100)
    await aborted
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
    expect(performance.now() - started).toBeLessThan(1000)
    await a.waitForEvents('run_a', 0, controller.signal, 10_000)
    const other = new AbortController()
    started = performance.now()
    await a.waitForEvents('run_a', 0, other.signal, 150)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(performance.now() - started).toBeLessThan(1000)
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0)
    // Closing the store releases whoever still waits.
    started = performance.now()
    const pending = a.waitForEvents('run_a', 0, other.signal, 10_000)
    await sleep(20)
    await a.close()
    await pending
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('sharing one server', () => {
  it('settles concurrent duplicates from two processes to one run, and keeps prefixes apart', async () => {
    const [a, b] = await pair()
    const results = await Promise.all([a.createRun(newRun('run_a', { keys: ['k'] })), b.createRun(newRun('run_b', { keys: ['k'] }))])
    expect(results.filter((r) => r.created)).toHaveLength(1)
    const other = await open(`hookgate-test:${randomUUID()}:`)
    expect(await other.findByKeys(['k'], T0)).toBeNull()
    expect(await other.countByStatus()).toEqual({})
    expect(await other.createRun(newRun('run_a', { keys: ['k'] }))).toEqual({ created: true })
  })

  it('refuses a second run with an existing id instead of overwriting it', async () => {
    const [a] = await pair()
    await a.createRun(newRun('run_a'))
    await expect(a.createRun(newRun('run_a'))).rejects.toThrow(/exists/)
    expect(await a.countByStatus()).toEqual({ queued: 1 })
  })

  it('exposes its client, prefix and options for another connection of the same server', async () => {
    const prefix = `hookgate-test:${randomUUID()}:`
    const store = await open(prefix)
    expect(store.kind).toBe('redis')
    expect(store.shared).toBe(true)
    expect(store.prefix).toBe(prefix)
    expect(await store.client.ping()).toBe('PONG')
    const options = store.connectionOptions()
    expect(options).toMatchObject({ host: '127.0.0.1', port: server.port, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000, commandTimeout: 1000, lazyConnect: false })
    expect(options.retryStrategy?.(1000)).toBe(1000)
    const other = new Redis({ ...options, maxRetriesPerRequest: null })
    onTestFinished(() => { other.disconnect() })
    await until('the other connection answers', async () => await other.ping() === 'PONG')
    await store.probe()
    expect(await other.exists(`${prefix}probe`)).toBe(1)
    const db3 = new RedisStore({ url: `${server.url}/3`, prefix })
    onTestFinished(() => db3.close())
    expect(db3.connectionOptions().db).toBe(3)
    expect(() => new RedisStore({ url: 'http://user:secret@x' })).toThrow(/redis:\/\//)
    expect(() => new RedisStore({ url: 'http://user:secret@x' })).not.toThrow(/secret/)
  })
})

describe('when Redis fails', () => {
  it('wraps errors without the password or URL credentials, also in what it keeps of the cause', () => {
    const original = Object.assign(new Error(`WRONGPASS for redis://user:${PASSWORD}@db.example:6379 (${PASSWORD})`), {
      code: 'WRONGPASS',
      command: { name: 'hello', args: ['3', 'AUTH', 'default', PASSWORD] }
    })
    const error = unavailable(original, [PASSWORD], undefined)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(error.message).toBe('redis unavailable: WRONGPASS for redis://***@db.example:6379 (***)')
    expect((error.cause as Error & { code?: string }).code).toBe('WRONGPASS')
    expect(inspect(error, { depth: 10 }) + JSON.stringify(error)).not.toContain(PASSWORD)
    expect(unavailable(new Error("Stream isn't writeable and enableOfflineQueue options is false"), [], 'connect ECONNREFUSED 127.0.0.1:1').message)
      .toBe('redis unavailable: not connected (connect ECONNREFUSED 127.0.0.1:1)')
  })

  it('rejects every call with StoreUnavailableError within 1.5 s while the server is down, and recovers by itself', async () => {
    const down = await startRedis({ persist: true, password: PASSWORD })
    const store = await open(`hookgate-test:${randomUUID()}:`, { password: PASSWORD }, down)
    await store.createRun(newRun('run_a', { keys: ['k1'] }))
    await store.appendEvents('run_a', [text(1), text(2)], 1)
    await down.stop()
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['createRun', async () => store.createRun(newRun('run_b'))],
      ['getRun', async () => store.getRun('run_a')],
      ['probe', async () => store.probe()],
      ['appendEvents', async () => store.appendEvents('run_a', [text(3)], 1)],
      ['readEvents', async () => store.readEvents('run_a', 0, 10)],
      ['claimRun', async () => store.claimRun(running('run_a'), 'x')],
      ['heartbeat', async () => store.heartbeat(info('x'), 1000)]
    ]
    for (const [name, call] of calls) {
      const { ms, error } = await rejectsWithin(call)
      expect(error, name).toBeInstanceOf(StoreUnavailableError)
      expect(ms, name).toBeLessThan(1500)
      expect(inspect(error, { depth: 10 })).not.toContain(PASSWORD)
      expect((error as Error).message).toMatch(/^redis unavailable: /)
    }
    // Once the loss is noticed, calls are refused at once rather than after the command timeout.
    await until('the store notices', async () => store.client.status !== 'ready')
    for (const [name, call] of calls) {
      const { ms, error } = await rejectsWithin(call)
      expect(error, name).toBeInstanceOf(StoreUnavailableError)
      expect(ms, name).toBeLessThan(250)
    }
    // A wake-up never fails: it waits out maxMs instead.
    const started = performance.now()
    await store.waitForEvents('run_a', 2, new AbortController().signal, 200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    expect(await store.ready(100)).toBe(false)

    await down.restart()
    expect(await store.ready(10_000)).toBe(true)
    await until('the same store writes again', async () => { await store.probe(); return true })
    // Written before the stop, fsynced: still there, and the scripts work on the fresh server.
    expect((await store.findByKeys(['k1'], T0))?.run.id).toBe('run_a')
    expect((await store.readEvents('run_a', 0, 10)).events).toEqual([text(1), text(2)])
    expect(await store.createRun(newRun('run_b'))).toEqual({ created: true })
    expect(await store.countByStatus()).toEqual({ queued: 2 })
  })

  it('times out commands to a hung server within 1.5 s, and works again once it answers', async () => {
    const hung = await startRedis()
    const store = await open(`hookgate-test:${randomUUID()}:`, {}, hung)
    await store.createRun(newRun('run_a'))
    hung.pause()
    onTestFinished(() => hung.resume())
    for (const call of [async () => store.getRun('run_a'), async () => store.probe()]) {
      const { ms, error } = await rejectsWithin(call)
      expect(error).toBeInstanceOf(StoreUnavailableError)
      expect(ms).toBeLessThan(1500)
    }
    hung.resume()
    await until('the store answers again', async () => (await store.getRun('run_a'))?.run.id === 'run_a')
  })

  it('wakes a waiter whose event was published while its subscriber was reconnecting', async () => {
    const [waiter, writer] = await pair()
    await writer.createRun(newRun('run_a'))
    await waiter.waitForEvents('run_a', 0, new AbortController().signal, 100)
    let woke = false
    const waiting = waiter.waitForEvents('run_a', 0, new AbortController().signal, 20_000).then(() => { woke = true })
    // The subscriber reconnects after 100 ms at the earliest: the append's message goes nowhere.
    expect(await writer.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThanOrEqual(1)
    await writer.appendEvents('run_a', [text(1)], 1)
    await until('the waiter wakes', async () => woke, 5000)
    await waiting
  })

  it('wakes a waiter whose event was appended while the server was away', async () => {
    const flaky = await startRedis()
    const prefix = `hookgate-test:${randomUUID()}:`
    const waiter = await open(prefix, {}, flaky)
    const writer = await open(prefix, {}, flaky)
    await writer.createRun(newRun('run_a'))
    const subscribed = waiter.waitForEvents('run_a', 0, new AbortController().signal, 100)
    await subscribed
    await flaky.stop()
    let woke = false
    const waiting = waiter.waitForEvents('run_a', 0, new AbortController().signal, 20_000).then(() => { woke = true })
    await flaky.restart()
    // The writer may reconnect before the waiter's subscriber does: its message is then lost, and
    // only the check on resubscription finds the event.
    // Not persisted: the run is gone with the restart.
    await until('the writer appends', async () => {
      if (await writer.getRun('run_a') === null) await writer.createRun(newRun('run_a'))
      await writer.appendEvents('run_a', [text(1)], 1)
      return true
    })
    await until('the waiter wakes', async () => woke, 5000)
    await waiting
  })

  it('closes within a bound while the server is down, and refuses calls once closed', async () => {
    const gone = await startRedis()
    const store = await open(`hookgate-test:${randomUUID()}:`, {}, gone)
    await store.waitForEvents('run_a', 0, new AbortController().signal, 50)
    gone.kill()
    await sleep(100)
    const started = performance.now()
    await store.close()
    expect(performance.now() - started).toBeLessThan(1500)
    await expect(store.getRun('run_a')).rejects.toBeInstanceOf(StoreUnavailableError)
    await store.waitForEvents('run_a', 0, new AbortController().signal, 10_000)
    await store.close()
  })

  it('rejects every call when the password is wrong, without showing it, and works with the right one', async () => {
    const locked = await startRedis({ password: PASSWORD })
    const prefix = `hookgate-test:${randomUUID()}:`
    const url = `redis://default:${PASSWORD}@127.0.0.1:${locked.port}`
    const right = await open(prefix, {}, { ...locked, url })
    await right.createRun(newRun('run_a'))
    // The password option overrides the one in the URL.
    const overridden = await open(prefix, { password: PASSWORD }, { ...locked, url: `redis://default:not-it@127.0.0.1:${locked.port}` })
    expect((await overridden.getRun('run_a'))?.run.id).toBe('run_a')

    const wrongPassword = 'wrong-Kx9-password'
    const wrong = new RedisStore({ url: `redis://default:${PASSWORD}@127.0.0.1:${locked.port}`, password: wrongPassword, prefix })
    onTestFinished(() => wrong.close())
    expect(await wrong.ready(500)).toBe(false)
    for (const call of [async () => wrong.getRun('run_a'), async () => wrong.createRun(newRun('run_b')), async () => wrong.probe(), async () => wrong.appendEvents('run_a', [text(1)], 1)]) {
      const { ms, error } = await rejectsWithin(call)
      expect(error).toBeInstanceOf(StoreUnavailableError)
      expect(ms).toBeLessThan(1500)
      const shown = inspect(error, { depth: 10 }) + JSON.stringify(error)
      expect(shown).not.toContain(wrongPassword)
      expect(shown).not.toContain(PASSWORD)
      // Says why, not only that it is not connected.
      expect((error as Error).message).toMatch(/WRONGPASS|NOAUTH|invalid/)
    }
    const noPassword = new RedisStore({ url: locked.url, prefix })
    onTestFinished(() => noPassword.close())
    await sleep(300)
    await expect(noPassword.getRun('run_a')).rejects.toBeInstanceOf(StoreUnavailableError)
  })
})
