// The RunStore contract, run against every implementation: what the registry relies on, so a new
// store (a shared one for several replicas) passes the same tests before it is trusted. The Redis
// store runs against a real redis-server (one per file), each test under a fresh key prefix.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { Run, RunEvent } from '../../src/schemas/run.ts'
import { runObject as baseRun } from '../helpers/run-object.ts'
import { MemoryStore } from '../../src/store/memory-store.ts'
import { StoreUnavailableError, type NewRun, type RunListFilter, type RunStore } from '../../src/store/run-store.ts'
import { RedisStore } from '../../src/store/redis-store.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { formatEvent } from '../../src/sse/format-event.ts'
import { startRedis, stopAllRedis, type RedisServer } from '../helpers/redis-server.ts'

// The version 1 schema as it shipped, to prove the upgrade path.
const SCHEMA_V1_FOR_TEST = `
CREATE TABLE runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, caller TEXT NOT NULL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, finished_at INTEGER, run TEXT NOT NULL, request TEXT NOT NULL, token_hash TEXT NOT NULL, process TEXT);
CREATE TABLE events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE idempotency (key TEXT PRIMARY KEY, run_id TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE confirmations (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, code TEXT NOT NULL, expires_at INTEGER NOT NULL, value TEXT NOT NULL);
CREATE TABLE probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
`

const DAY = 24 * 3600 * 1000
const T0 = Date.parse('2026-11-21T10:00:00Z')

function tempDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-store-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

type Kind = 'sqlite' | 'memory' | 'redis'

let redis: RedisServer | undefined

async function open (kind: Kind, dir?: string): Promise<RunStore> {
  let store: RunStore
  if (kind === 'redis') {
    if (redis === undefined) throw new Error('no redis-server: the redis suite starts one in beforeAll')
    const r = new RedisStore({ url: redis.url, prefix: `hookgate-test:${randomUUID()}:` })
    if (!await r.ready(10_000)) throw new Error(`RedisStore did not connect to ${redis.url}`)
    store = r
  } else {
    store = kind === 'sqlite' ? new SqliteStore(dir ?? tempDir()) : new MemoryStore()
  }
  onTestFinished(() => store.close())
  return store
}

function runObject (id: string, patch: Partial<Run> = {}): Run {
  return baseRun(id, T0, patch)
}

function newRun (id: string, keys: string[] = [], now = T0): NewRun {
  return {
    run: runObject(id),
    request: { caller: 'ci', user: 'ana', thread: null, command: 'run', prompt: `prompt of ${id}`, tools: { allow: [], deny: [] } },
    tokenHash: 'ab'.repeat(32),
    keys,
    now,
    keysExpireAt: now + 7 * DAY
  }
}

const text = (seq: number, t = `t${seq}`): RunEvent => ({ seq, event: 'text', data: { text: t } })

describe.each(['sqlite', 'memory', 'redis'] as const)('%s store', (kind) => {
  if (kind === 'redis') {
    beforeAll(async () => { redis = await startRedis() })
    afterAll(async () => { await stopAllRedis() })
  }

  it('creates a run once per idempotency key and answers a duplicate with the original', async () => {
    const store = await open(kind)
    expect(await store.createRun(newRun('run_a', ['k1', 'k2']))).toEqual({ created: true })
    const again = await store.createRun(newRun('run_b', ['k2']))
    expect(again.created).toBe(false)
    expect(again.created === false && again.existing.run.id).toBe('run_a')
    expect(await store.getRun('run_b')).toBeNull()
    expect((await store.findByKeys(['zz', 'k1'], T0))?.run.id).toBe('run_a')
    expect(await store.findByKeys(['zz'], T0)).toBeNull()
    // Concurrent duplicates: both calls in flight at once, exactly one run.
    const results = await Promise.all([store.createRun(newRun('run_c', ['k3'])), store.createRun(newRun('run_d', ['k3']))])
    expect(results.filter((r) => r.created)).toHaveLength(1)
    expect(await store.countByStatus()).toEqual({ queued: 2 })
  })

  it('forgets keys after they expire, so the same key then creates a new run', async () => {
    const store = await open(kind)
    await store.createRun(newRun('run_a', ['k1']))
    expect((await store.findByKeys(['k1'], T0 + 7 * DAY - 1))?.run.id).toBe('run_a')
    expect(await store.findByKeys(['k1'], T0 + 7 * DAY)).toBeNull()
    expect(await store.createRun(newRun('run_b', ['k1'], T0 + 7 * DAY))).toEqual({ created: true })
  })

  it('keeps nothing when the after-commit step (the audit record) throws', async () => {
    const store = await open(kind)
    await expect(store.createRun(newRun('run_a', ['k1']), () => { throw new Error('audit down') })).rejects.toThrow('audit down')
    expect(await store.getRun('run_a')).toBeNull()
    expect(await store.findByKeys(['k1'], T0)).toBeNull()
    expect(await store.createRun(newRun('run_b', ['k1']))).toEqual({ created: true })
  })

  it('stores the run object, request, token hash and process record', async () => {
    const store = await open(kind)
    await store.createRun(newRun('run_a'))
    await store.updateRun(runObject('run_a', { status: 'running', started_at: new Date(T0 + 5).toISOString() }), { durable: true })
    await store.setProcess('run_a', { pid: 42, pgid: 42, startTicks: 1234, bootId: 'boot' })
    const got = await store.getRun('run_a')
    expect(got).toMatchObject({
      run: { id: 'run_a', status: 'running' },
      request: { prompt: 'prompt of run_a' },
      tokenHash: 'ab'.repeat(32),
      process: { pid: 42, pgid: 42, startTicks: 1234, bootId: 'boot' }
    })
    expect((await store.unfinishedRuns()).map((r) => r.run.id)).toEqual(['run_a'])
    await store.updateRun(runObject('run_a', { status: 'succeeded', finished_at: new Date(T0 + 9).toISOString() }))
    expect(await store.unfinishedRuns()).toEqual([])
  })

  it('keeps each run\'s events from keepFromSeq on, and answers stale or unknown cursors with reset', async () => {
    const store = await open(kind)
    await store.createRun(newRun('run_a'))
    await store.appendEvents('run_a', [text(1), text(2), text(3)], 1)
    await store.appendEvents('run_a', [text(4), text(5)], 3)
    expect(await store.lastSeq('run_a')).toBe(5)
    expect(await store.readEvents('run_a', 3, 10)).toEqual({ events: [text(4), text(5)], reset: false })
    expect(await store.readEvents('run_a', 2, 10)).toEqual({ events: [text(3), text(4), text(5)], reset: false })
    expect(await store.readEvents('run_a', 0, 2)).toEqual({ events: [text(3), text(4)], reset: true })
    expect(await store.readEvents('run_a', 99, 10)).toEqual({ events: [text(3), text(4), text(5)], reset: true })
    expect(await store.readEvents('run_a', 5, 10)).toEqual({ events: [], reset: false })
    expect(await store.readEvents('run_zz', 0, 10)).toEqual({ events: [], reset: false })
  })

  it('lists newest first in acceptance order, with filters and a before cursor', async () => {
    const store = await open(kind)
    for (const id of ['run_c', 'run_a', 'run_b']) await store.createRun(newRun(id))
    await store.updateRun(runObject('run_a', { status: 'failed', finished_at: new Date(T0).toISOString() }))
    expect((await store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual(['run_b', 'run_a', 'run_c'])
    expect((await store.listRuns({ limit: 10, status: 'failed' })).map((r) => r.id)).toEqual(['run_a'])
    expect((await store.listRuns({ limit: 10, before: 'run_a' })).map((r) => r.id)).toEqual(['run_c'])
    expect((await store.listRuns({ limit: 1 })).map((r) => r.id)).toEqual(['run_b'])
    expect(await store.listRuns({ limit: 10, caller: 'other' })).toEqual([])
  })

  it('prunes finished runs and their events past retention, never active ones, and expired keys', async () => {
    const store = await open(kind)
    await store.createRun(newRun('run_old', ['k-old']))
    await store.createRun(newRun('run_new'))
    await store.createRun(newRun('run_active'))
    await store.appendEvents('run_old', [text(1)], 1)
    await store.updateRun(runObject('run_old', { status: 'succeeded', finished_at: new Date(T0).toISOString() }))
    await store.updateRun(runObject('run_new', { status: 'succeeded', finished_at: new Date(T0 + 10 * DAY).toISOString() }))
    const result = await store.prune(T0 + 1, T0 + 8 * DAY)
    expect(result).toMatchObject({ runs: 1, keys: 1 })
    expect(await store.getRun('run_old')).toBeNull()
    expect(await store.readEvents('run_old', 0, 10)).toEqual({ events: [], reset: false })
    expect(await store.getRun('run_new')).not.toBeNull()
    expect(await store.getRun('run_active')).not.toBeNull()
  })

  it('creates owed deliveries with the run, lists the pending ones, and keeps their progress', async () => {
    const store = await open(kind)
    await store.createRun({ ...newRun('run_a'), deliveries: ['reply', 'callback'] })
    await store.createRun(newRun('run_b'))
    expect((await store.pendingDeliveries()).map((d) => [d.runId, d.channel, d.state, d.progress]).sort()).toEqual([
      ['run_a', 'callback', 'pending', { sent: 0 }], ['run_a', 'reply', 'pending', { sent: 0 }]
    ])
    const reply = (await store.getDelivery('run_a', 'reply'))!
    await store.updateDelivery({ ...reply, attempts: 2, nextAt: T0 + 5000, progress: { sent: 1, message_id: 7 }, error: 'api.example: answered 500' })
    expect(await store.getDelivery('run_a', 'reply')).toEqual({ runId: 'run_a', channel: 'reply', state: 'pending', attempts: 2, nextAt: T0 + 5000, progress: { sent: 1, message_id: 7 }, error: 'api.example: answered 500' })
    await store.updateDelivery({ ...reply, state: 'done', progress: { sent: 3 } })
    expect((await store.pendingDeliveries()).map((d) => d.channel)).toEqual(['callback'])
    expect(await store.getDelivery('run_b', 'reply')).toBeNull()
    // Deleting or pruning the run takes its deliveries along.
    await store.deleteRun('run_a')
    expect(await store.pendingDeliveries()).toEqual([])
  })

  it('keeps confirmations per owner within bounds, expires them, and lets one taker win', async () => {
    const store = await open(kind)
    const bounds = { perOwner: 2, total: 3 }
    for (const code of ['AAA', 'BBB', 'CCC']) await store.addConfirmation({ owner: 'ci/ana', code, expiresAt: T0 + 1000, value: { code } }, bounds)
    await store.addConfirmation({ owner: 'ci/bob', code: 'DDD', expiresAt: T0 + 10, value: null }, bounds)
    const ana = await store.confirmationsOf('ci/ana', T0)
    expect(ana.map((c) => c.code)).toEqual(['BBB', 'CCC'])
    expect(ana[0]!.value).toEqual({ code: 'BBB' })
    expect(await store.confirmationsOf('ci/bob', T0 + 10)).toEqual([])
    const [first, second] = await Promise.all([store.deleteConfirmation(ana[0]!.id), store.deleteConfirmation(ana[0]!.id)])
    expect([first, second].sort()).toEqual([false, true])
    expect((await store.prune(0, T0 + 10)).confirmations).toBe(1)
  })

  it('keeps one session per key: put replaces, get returns a copy, delete says whether there was one', async () => {
    const store = await open(kind)
    const s = { key: 'ci\u0000ann\u0000t1\u0000', caller: 'ci', profile: 'claude', agentSession: 'sess-1', createdAt: T0, lastUsedAt: T0 }
    expect(await store.getSession(s.key)).toBeNull()
    await store.putSession(s)
    expect(await store.getSession(s.key)).toEqual(s)
    await store.putSession({ ...s, agentSession: 'sess-2', lastUsedAt: T0 + 1000 })
    expect(await store.getSession(s.key)).toEqual({ ...s, agentSession: 'sess-2', lastUsedAt: T0 + 1000 })
    expect(await store.getSession('other')).toBeNull()
    expect(await store.deleteSession(s.key)).toBe(true)
    expect(await store.deleteSession(s.key)).toBe(false)
    expect(await store.getSession(s.key)).toBeNull()
  })

  it('prunes sessions last used before the retention cut-off, and only those', async () => {
    const store = await open(kind)
    await store.putSession({ key: 'old', caller: 'ci', profile: 'claude', agentSession: 'a', createdAt: T0, lastUsedAt: T0 })
    await store.putSession({ key: 'new', caller: 'ci', profile: 'claude', agentSession: 'b', createdAt: T0, lastUsedAt: T0 + 20 * DAY })
    await store.prune(T0 + 14 * DAY, T0 + 21 * DAY)
    expect(await store.getSession('old')).toBeNull()
    expect((await store.getSession('new'))?.agentSession).toBe('b')
  })

  it('appends a retried, overlapping batch once, and resumes after any seq, past ten', async () => {
    const store = await open(kind)
    await store.createRun(newRun('run_a'))
    await store.appendEvents('run_a', [text(1), text(2), text(3)], 1)
    // The reply of the first attempt was lost: the writer sends the batch again with more behind it.
    await store.appendEvents('run_a', [text(2), text(3), text(4)], 1)
    await store.appendEvents('run_a', [text(3), text(4)], 1)
    await store.appendEvents('run_a', Array.from({ length: 8 }, (_, i) => text(i + 5)), 1)
    const all = Array.from({ length: 12 }, (_, i) => text(i + 1))
    expect(await store.readEvents('run_a', 0, 100)).toEqual({ events: all, reset: false })
    for (let after = 0; after <= 12; after++) {
      expect(await store.readEvents('run_a', after, 100)).toEqual({ events: all.slice(after), reset: false })
    }
    const paged: RunEvent[] = []
    for (let after = 0; ;) {
      const page = await store.readEvents('run_a', after, 5)
      if (page.events.length === 0) break
      paged.push(...page.events)
      after = page.events.at(-1)!.seq
    }
    expect(paged).toEqual(all)
    expect(await store.readEvents('run_a', 0, 0)).toEqual({ events: [], reset: false })
    expect(await store.lastSeq('run_a')).toBe(12)
    expect(await store.lastSeq('run_zz')).toBe(0)
  })

  it('keeps counts by status exact through updates, deletes and prunes', async () => {
    const store = await open(kind)
    for (const id of ['run_a', 'run_b', 'run_c']) await store.createRun(newRun(id))
    await store.updateRun(runObject('run_a', { status: 'running' }))
    await store.updateRun(runObject('run_b', { status: 'succeeded', finished_at: new Date(T0).toISOString() }))
    expect(await store.countByStatus()).toEqual({ queued: 1, running: 1, succeeded: 1 })
    await store.deleteRun('run_c')
    await store.deleteRun('run_zz')
    expect(await store.countByStatus()).toEqual({ running: 1, succeeded: 1 })
    expect(await store.prune(T0 + 1, T0)).toMatchObject({ runs: 1 })
    expect(await store.countByStatus()).toEqual({ running: 1 })
    expect(await store.prune(T0 + 1, T0)).toEqual({ runs: 0, keys: 0, confirmations: 0 })
  })

  it('ignores updates of runs and deliveries it does not have', async () => {
    const store = await open(kind)
    await store.updateRun(runObject('run_zz', { status: 'running' }))
    await store.setProcess('run_zz', { pid: 1, pgid: 1, startTicks: 1, bootId: 'b' })
    await store.updateDelivery({ runId: 'run_zz', channel: 'reply', state: 'pending', attempts: 1, nextAt: 0, progress: { sent: 0 }, error: null })
    expect(await store.getRun('run_zz')).toBeNull()
    expect(await store.getDelivery('run_zz', 'reply')).toBeNull()
    expect(await store.countByStatus()).toEqual({})
    expect(await store.unfinishedRuns()).toEqual([])
    expect(await store.pendingDeliveries()).toEqual([])
    expect(await store.listRuns({ limit: 10 })).toEqual([])
  })

  it('lists more than ten runs in acceptance order, combining filters and cursors', async () => {
    const store = await open(kind)
    const ids = Array.from({ length: 12 }, (_, i) => `run_${String(i).padStart(2, '0')}`)
    for (const [i, id] of ids.entries()) {
      await store.createRun({ ...newRun(id), run: runObject(id, { caller: i % 2 === 0 ? 'ci' : 'cd' }) })
      if (i % 3 === 0) await store.updateRun(runObject(id, { caller: i % 2 === 0 ? 'ci' : 'cd', status: 'failed', finished_at: new Date(T0).toISOString() }))
    }
    await store.updateRun(runObject('run_04', { status: 'running' }))
    const list = async (filter: Partial<RunListFilter>): Promise<string[]> => (await store.listRuns({ limit: 100, ...filter })).map((r) => r.id)
    expect(await list({})).toEqual([...ids].reverse())
    expect(await list({ caller: 'cd' })).toEqual(['run_11', 'run_09', 'run_07', 'run_05', 'run_03', 'run_01'])
    expect(await list({ caller: 'cd', status: 'failed' })).toEqual(['run_09', 'run_03'])
    expect(await list({ status: 'queued', limit: 3 })).toEqual(['run_11', 'run_10', 'run_08'])
    expect(await list({ status: 'running' })).toEqual(['run_04'])
    expect(await list({ caller: 'ci', before: 'run_08' })).toEqual(['run_06', 'run_04', 'run_02', 'run_00'])
    // A cursor naming a run no longer kept: run ids sort by acceptance time.
    expect(await list({ before: 'run_05x', limit: 2 })).toEqual(['run_05', 'run_04'])
    expect(await list({ limit: 0 })).toEqual([])
    expect((await store.unfinishedRuns()).map((r) => r.run.id)).toEqual(ids.filter((_, i) => i % 3 !== 0))
  })

  it('forgets a deleted run completely: its events, keys and deliveries', async () => {
    const store = await open(kind)
    await store.createRun({ ...newRun('run_a', ['k1']), deliveries: ['reply'] })
    await store.appendEvents('run_a', [text(1), text(2)], 1)
    await store.deleteRun('run_a')
    expect(await store.getRun('run_a')).toBeNull()
    expect(await store.readEvents('run_a', 0, 10)).toEqual({ events: [], reset: false })
    expect(await store.lastSeq('run_a')).toBe(0)
    expect(await store.findByKeys(['k1'], T0)).toBeNull()
    expect(await store.getDelivery('run_a', 'reply')).toBeNull()
    expect(await store.pendingDeliveries()).toEqual([])
    expect(await store.createRun(newRun('run_b', ['k1']))).toEqual({ created: true })
    expect(await store.prune(0, T0)).toEqual({ runs: 0, keys: 0, confirmations: 0 })
  })

  it('lets a pruned run\'s unexpired key go to a new run, and counts each key once when it expires', async () => {
    const store = await open(kind)
    await store.createRun(newRun('run_a', ['k1']))
    await store.updateRun(runObject('run_a', { status: 'succeeded', finished_at: new Date(T0).toISOString() }))
    expect(await store.prune(T0 + 1, T0)).toEqual({ runs: 1, keys: 0, confirmations: 0 })
    expect(await store.findByKeys(['k1'], T0)).toBeNull()
    expect(await store.createRun(newRun('run_b', ['k1']))).toEqual({ created: true })
    expect((await store.findByKeys(['k1'], T0))?.run.id).toBe('run_b')
    expect(await store.prune(0, T0 + 7 * DAY)).toEqual({ runs: 0, keys: 1, confirmations: 0 })
    expect(await store.findByKeys(['k1'], T0)).toBeNull()
  })

  it('lists pending deliveries oldest run first, again after a retry re-opens one, and prunes them with the run', async () => {
    const store = await open(kind)
    await store.createRun({ ...newRun('run_b'), deliveries: ['reply'] })
    await store.createRun({ ...newRun('run_a'), deliveries: ['callback'] })
    const pending = async (): Promise<string[]> => (await store.pendingDeliveries()).map((d) => `${d.runId}/${d.channel}`)
    expect(await pending()).toEqual(['run_b/reply', 'run_a/callback'])
    const callback = (await store.getDelivery('run_a', 'callback'))!
    await store.updateDelivery({ ...callback, state: 'failed', error: 'gave up' })
    expect(await pending()).toEqual(['run_b/reply'])
    // Back in its run's place, not at the end or the front.
    await store.updateDelivery({ ...callback, state: 'pending', attempts: 3 })
    expect(await pending()).toEqual(['run_b/reply', 'run_a/callback'])
    expect(await store.getDelivery('run_a', 'callback')).toMatchObject({ state: 'pending', attempts: 3, error: null })
    await store.updateRun(runObject('run_b', { status: 'succeeded', finished_at: new Date(T0).toISOString() }))
    await store.prune(T0 + 1, T0)
    expect(await pending()).toEqual(['run_a/callback'])
    expect(await store.getDelivery('run_b', 'reply')).toBeNull()
  })

  it('bounds confirmations in total across owners; deleting a missing one says false', async () => {
    const store = await open(kind)
    const bounds = { perOwner: 5, total: 2 }
    for (const [owner, code] of [['o1', 'AAA'], ['o2', 'BBB'], ['o3', 'CCC']] as const) {
      await store.addConfirmation({ owner, code, expiresAt: T0 + 1000, value: { nested: [code, 1, null], ok: true } }, bounds)
    }
    expect(await store.confirmationsOf('o1', T0)).toEqual([])
    const [b] = await store.confirmationsOf('o2', T0)
    expect(b).toMatchObject({ owner: 'o2', code: 'BBB', expiresAt: T0 + 1000, value: { nested: ['BBB', 1, null], ok: true } })
    expect(await store.deleteConfirmation(b!.id)).toBe(true)
    expect(await store.deleteConfirmation(b!.id)).toBe(false)
    expect(await store.deleteConfirmation(987654)).toBe(false)
    expect((await store.confirmationsOf('o3', T0)).map((c) => c.code)).toEqual(['CCC'])
    expect(await store.prune(0, T0 + 1000)).toMatchObject({ confirmations: 1 })
    expect(await store.confirmationsOf('o3', T0)).toEqual([])
  })
})

describe('sqlite store', () => {
  it('keeps runs, keys, events, confirmations and sessions across a reopen of the database', async () => {
    const dir = tempDir()
    const first = new SqliteStore(dir)
    await first.putSession({ key: 'k', caller: 'ci', profile: 'codex', agentSession: 'thread-1', createdAt: T0, lastUsedAt: T0 })
    await first.createRun(newRun('run_a', ['k1']))
    await first.appendEvents('run_a', [text(1)], 1)
    await first.addConfirmation({ owner: 'o', code: 'C', expiresAt: T0 + 1000, value: 1 }, { perOwner: 5, total: 10 })
    await first.close()
    const second = await open('sqlite', dir)
    expect((await second.findByKeys(['k1'], T0))?.run.id).toBe('run_a')
    expect((await second.readEvents('run_a', 0, 10)).events).toEqual([text(1)])
    expect(await second.confirmationsOf('o', T0)).toHaveLength(1)
    expect((await second.getSession('k'))?.agentSession).toBe('thread-1')
    expect(await second.createRun(newRun('run_b', ['k1']))).toMatchObject({ created: false })
  })

  it('turns a database locked by another connection into StoreUnavailableError quickly, and works again once released', async () => {
    const dir = tempDir()
    const store = await open('sqlite', dir)
    await store.createRun(newRun('run_a'))
    const other = new DatabaseSync(join(dir, 'hookgate.db'))
    onTestFinished(() => { if (other.isOpen) other.close() })
    other.exec('BEGIN EXCLUSIVE')
    const started = performance.now()
    await expect(store.createRun(newRun('run_b'))).rejects.toBeInstanceOf(StoreUnavailableError)
    await expect(store.probe()).rejects.toBeInstanceOf(StoreUnavailableError)
    expect(performance.now() - started).toBeLessThan(2000)
    // Readers are not blocked by the writer's lock (WAL).
    expect((await store.getRun('run_a'))?.run.id).toBe('run_a')
    other.exec('ROLLBACK')
    await store.probe()
    expect(await store.createRun(newRun('run_b'))).toEqual({ created: true })
  })

  it('upgrades a version 1 database in place, keeping its runs', async () => {
    const dir = tempDir()
    const db = new DatabaseSync(join(dir, 'hookgate.db'))
    db.exec(`BEGIN; ${SCHEMA_V1_FOR_TEST} PRAGMA user_version = 1; COMMIT`)
    db.exec(`INSERT INTO runs (id, caller, status, created_at, run, request, token_hash) VALUES ('run_old', 'ci', 'succeeded', 0, '${JSON.stringify(runObject('run_old'))}', '{}', 'x')`)
    db.exec(`INSERT INTO events (run_id, seq, event, data) VALUES ('run_old', 1, 'text', '{"text":"one"}'), ('run_old', 2, 'text', '{"text":"two"}')`)
    db.close()
    const store = await open('sqlite', dir)
    expect((await store.getRun('run_old'))?.run.id).toBe('run_old')
    await store.createRun({ ...newRun('run_new'), deliveries: ['reply'] })
    expect((await store.pendingDeliveries()).map((d) => d.runId)).toEqual(['run_new'])
    // The events moved to the rowid table (version 4), in order, and a replaced seq stays unique.
    expect((await store.readEvents('run_old', 0, 10)).events.map((e) => e.data)).toEqual([{ text: 'one' }, { text: 'two' }])
    await store.appendEvents('run_old', [{ seq: 2, event: 'text', data: { text: 'again' } }, { seq: 3, event: 'text', data: { text: 'three' } }], 1)
    expect((await store.readEvents('run_old', 0, 10)).events.map((e) => e.data)).toEqual([{ text: 'one' }, { text: 'again' }, { text: 'three' }])
    await store.close()
    const check = new DatabaseSync(join(dir, 'hookgate.db'))
    expect(check.prepare('PRAGMA user_version').get()).toEqual({ user_version: 5 })
    expect(String((check.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").get() as { sql: string }).sql)).not.toMatch(/WITHOUT ROWID/)
    check.close()
  })

  it('keeps a result event\'s run once, in the run\'s row: the event is read from there, and the final update writes nothing more', async () => {
    const dir = tempDir()
    const store = new SqliteStore(dir)
    onTestFinished(() => store.close())
    await store.createRun(newRun('run_r'))
    const final = runObject('run_r', { status: 'succeeded', output: 'y'.repeat(2 * 1024 * 1024) })
    const result: RunEvent = { seq: 2, event: 'result', data: final }
    const db = new DatabaseSync(join(dir, 'hookgate.db'))
    onTestFinished(() => db.close())
    // Counts the writes of a run row from now on, whichever connection makes them.
    db.exec("CREATE TABLE row_writes (id TEXT); CREATE TRIGGER count_row_writes AFTER UPDATE OF run ON runs BEGIN INSERT INTO row_writes VALUES (new.id); END")
    const rowWrites = (): number => Number((db.prepare('SELECT COUNT(*) AS n FROM row_writes').get() as { n: number }).n)
    await store.appendEvents('run_r', [text(1, 'a'), result], 1)
    expect(rowWrites()).toBe(1)
    expect(db.prepare("SELECT data FROM events WHERE run_id = 'run_r' AND seq = 2").get()).toEqual({ data: '' })
    expect(db.prepare("SELECT status, LENGTH(run) AS n FROM runs WHERE id = 'run_r'").get()).toEqual({ status: 'succeeded', n: JSON.stringify(final).length })
    expect((await store.readEvents('run_r', 1, 10)).events).toEqual([result])
    expect((await store.readFrames('run_r', 1, 10, 1 << 30))?.bytes.toString('utf8')).toBe(formatEvent(result))
    expect((await store.getRun('run_r'))?.run).toEqual(final)
    await store.updateRun(final, { durable: true })
    expect(rowWrites()).toBe(1)
    // Any other object is written as it is.
    await store.updateRun({ ...final, output: 'z' }, { durable: true })
    expect((await store.getRun('run_r'))?.run.output).toBe('z')
    expect(rowWrites()).toBe(2)
    // A result of a run this store does not have keeps its data in the event.
    await store.appendEvents('run_none', [{ seq: 1, event: 'result', data: runObject('run_none', { status: 'failed' }) }], 1)
    expect((await store.readEvents('run_none', 0, 10)).events[0]?.data).toMatchObject({ id: 'run_none', status: 'failed' })
  })

  it('refuses a database written by a newer schema', () => {
    const dir = tempDir()
    const db = new DatabaseSync(join(dir, 'hookgate.db'))
    db.exec('PRAGMA user_version = 99')
    db.close()
    expect(() => new SqliteStore(dir)).toThrow(/newer hookgate/)
  })

  it('keeps the database and its WAL files private to this user (0600), also when the umask would open them', async () => {
    const dir = tempDir()
    const previous = process.umask(0o022)
    try {
      const store = await open('sqlite', dir)
      await store.createRun(newRun('run_mode'))
      await store.close()
      const again = await open('sqlite', dir)
      await again.createRun(newRun('run_mode2'))
    } finally {
      process.umask(previous)
    }
    for (const name of readdirSync(dir).filter((n) => n.startsWith('hookgate.db'))) {
      expect((statSync(join(dir, name)).mode & 0o777).toString(8), name).toBe('600')
    }
  })

  it('uses WAL', async () => {
    const dir = tempDir()
    await open('sqlite', dir)
    const db = new DatabaseSync(join(dir, 'hookgate.db'), { readOnly: true })
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal')
    db.close()
  })
})

describe('sqlite store frames', () => {
  it('lays out stored events as the very bytes formatEvent makes, and none for a cursor it cannot continue', async () => {
    const store = new SqliteStore(tempDir())
    onTestFinished(() => store.close())
    await store.createRun(newRun('run_f'))
    const events: RunEvent[] = [
      text(1, 'plain'),
      text(2, 'ünïcödé ✓ and an astral 𝄞'),
      text(3, 'quotes " and \\ backslashes, a tab\t, a line\nbreak and a lone surrogate \ud800'),
      { seq: 4, event: 'tool_start', data: { tool_id: 't1', name: 'Bash', summary: 'ls -la' } },
      text(5, 'x'.repeat(200_000)),
      { seq: 6, event: 'result', data: runObject('run_f', { status: 'succeeded', output: 'done' }) }
    ]
    await store.appendEvents('run_f', events, 1)
    const wire = (list: RunEvent[]): string => list.map((e) => formatEvent(e)).join('')

    const all = await store.readFrames('run_f', 0, 100, 1_000_000)
    expect(all?.bytes.toString('utf8')).toBe(wire(events))
    expect(all?.bytes.equals(Buffer.from(wire(events)))).toBe(true)
    expect({ lastSeq: all?.lastSeq, result: all?.result }).toEqual({ lastSeq: 6, result: true })
    // Each page is a fresh buffer of its own, which the stream releases once the socket has it.
    expect(all?.owned).toBe(true)
    expect(all?.bytes.buffer.byteLength).toBe(all?.bytes.length)
    expect(all?.bytes.buffer).not.toBe((await store.readFrames('run_f', 0, 100, 1_000_000))?.bytes.buffer)

    const middle = await store.readFrames('run_f', 1, 3, 1_000_000)
    expect(middle?.bytes.toString('utf8')).toBe(wire(events.slice(1, 4)))
    expect({ lastSeq: middle?.lastSeq, result: middle?.result }).toEqual({ lastSeq: 4, result: false })

    // Bounded by bytes: a page ends before the event that would take it past the bound, but always
    // holds its first event, however big.
    const bounded = await store.readFrames('run_f', 0, 100, 1000)
    expect(bounded?.bytes.toString('utf8')).toBe(wire(events.slice(0, 4)))
    expect(bounded?.lastSeq).toBe(4)
    const big = await store.readFrames('run_f', 4, 100, 1000)
    expect(big?.bytes.toString('utf8')).toBe(wire(events.slice(4, 5)))
    expect(big?.result).toBe(false)

    // At the end, past it, and for an unknown run: nothing to continue with.
    expect(await store.readFrames('run_f', 6, 10, 1_000_000)).toBeNull()
    expect(await store.readFrames('run_f', 9, 10, 1_000_000)).toBeNull()
    expect(await store.readFrames('run_zz', 0, 10, 1_000_000)).toBeNull()
    // Once the oldest are dropped, a cursor before what is kept is not continued: readEvents says reset.
    await store.appendEvents('run_f', [text(7)], 4)
    expect(await store.readFrames('run_f', 1, 10, 1_000_000)).toBeNull()
    expect((await store.readEvents('run_f', 1, 10)).reset).toBe(true)
    expect((await store.readFrames('run_f', 3, 10, 1_000_000))?.bytes.toString('utf8')).toBe(wire([...events.slice(3), text(7)]))
  })
})
