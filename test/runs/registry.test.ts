// The run registry over a real SQLite store: exactly-once acceptance, write-ahead order, recovery of
// runs a crash left behind, faults of the store on the way in and on the way out, the event log
// beyond the in-memory ring, drain and forced stop.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { AgentOutcome } from '../../src/runner/agent-event.ts'
import { RunRegistry, type Executor, type ProcessControl, type RegistryOptions } from '../../src/runs/registry.ts'
import type { RunRequest } from '../../src/runs/run-state.ts'
import type { ProcessRecord } from '../../src/store/run-store.ts'
import type { RunEvent } from '../../src/schemas/run.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'

const request = (n: number): RunRequest => ({ caller: 'ci', user: 'ana', thread: null, command: 'run', prompt: `run ${n}`, tools: { allow: [], deny: [] } })
const ok: AgentOutcome = { status: 'succeeded', exit_code: 0, output: 'done', truncated: false, error: null, session: null, cost_usd: null, turns: 1 }

/** An agent that streams `chunks` text events, then succeeds. */
const streaming = (chunks: number, size = 10): Executor => async (_run, ctx) => {
  for (let i = 0; i < chunks; i++) ctx.onEvent({ type: 'text', data: { text: String(i).padEnd(size, '.') } })
  return ok
}

/** An agent that runs until stopped, reporting how it was stopped. */
const holding = (seen: Array<{ grace: number | null }> = []): Executor => async (_run, ctx) => {
  ctx.onSpawn(process.pid)
  await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }))
  seen.push({ grace: ctx.graceMs() })
  return { ...ok, status: 'cancelled', exit_code: null, error: 'stopped' }
}

function stateDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-registry-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

interface Harness {
  registry: RunRegistry
  store: SqliteStore
  audit: Array<Record<string, unknown>>
}

function harness (dir: string, opts: Partial<RegistryOptions> & { failAudit?: () => boolean } = {}): Harness {
  const store = new SqliteStore(dir)
  onTestFinished(() => store.close())
  const audit: Array<Record<string, unknown>> = []
  const write = (entry: Record<string, unknown>): void => {
    if (opts.failAudit?.() === true) throw new Error('audit log not writable')
    audit.push(entry)
  }
  const registry = new RunRegistry({
    concurrency: 1,
    queue: 10,
    demo: false,
    execute: streaming(3),
    store,
    retryMs: 50,
    hooks: {
      onAccepted: (run) => write({ event: 'accepted', run: run.id }),
      onStarted: (run, pid) => write({ event: 'started', run: run.id, pid }),
      onFinished: (run) => write({ event: 'finished', run: run.id, status: run.status }),
      onRecovered: (run, reason, killed) => write({ event: 'interrupted', run: run.id, reason, killed })
    },
    ...opts
  })
  return { registry, store, audit }
}

function lock (dir: string): { release: () => void } {
  const db = new DatabaseSync(join(dir, 'hookgate.db'))
  db.exec('BEGIN EXCLUSIVE')
  const release = (): void => {
    if (!db.isOpen) return
    db.exec('ROLLBACK')
    db.close()
  }
  onTestFinished(release)
  return { release }
}

async function accepted (registry: RunRegistry, n: number, keys: string[] = []) {
  const result = await registry.accept(request(n), keys)
  if (result.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(result)}`)
  return result
}

describe('RunRegistry acceptance', () => {
  it('commits the run and its audit record before it starts, and answers duplicates with the original', async () => {
    const { registry, store, audit } = harness(stateDir())
    const results = await Promise.all([registry.accept(request(1), ['k']), registry.accept(request(1), ['k'])])
    expect(results.map((r) => r.kind).sort()).toEqual(['accepted', 'replayed'])
    const [first, second] = results as Array<{ run: { id: string } }>
    expect(first!.run.id).toBe(second!.run.id)
    const run = (results.find((r) => r.kind === 'accepted') as { run: Awaited<ReturnType<typeof accepted>>['run'] }).run
    await run.finished
    expect(audit.map((e) => e.event)).toEqual(['accepted', 'finished'])
    expect((await store.getRun(run.id))?.run).toMatchObject({ status: 'succeeded', output: 'done' })
    expect(await store.countByStatus()).toEqual({ succeeded: 1 })
    expect((await registry.findReplay(['k']))?.id).toBe(run.id)
  })

  it('admits exactly concurrency + queue runs sent at once, while their store writes are still under way', async () => {
    const { registry } = harness(stateDir(), { concurrency: 3, queue: 5, execute: holding() })
    // All eleven are admitted before any store write has settled (durable writes wait for a sync).
    const results = await Promise.all(Array.from({ length: 11 }, (_, i) => registry.accept(request(i), [])))
    expect(results.map((r) => r.kind)).toEqual([...Array(8).fill('accepted'), ...Array(3).fill('overloaded')])
    registry.forceStop()
  })

  it('recognises a duplicate after a restart (a second registry on the same database)', async () => {
    const dir = stateDir()
    const before = harness(dir)
    const { run } = await accepted(before.registry, 1, ['sig:abc'])
    await run.finished
    await before.store.close()
    const after = harness(dir)
    const again = await after.registry.accept(request(1), ['sig:abc'])
    expect(again.kind).toBe('replayed')
    expect(again.kind === 'replayed' && again.run.snapshot()).toMatchObject({ id: run.id, status: 'succeeded' })
    expect(await after.store.countByStatus()).toEqual({ succeeded: 1 })
  })

  it('refuses new work while the database is locked and accepts again once it is released, with no restart', async () => {
    const dir = stateDir()
    const { registry, store, audit } = harness(dir)
    const held = lock(dir)
    const refused = await registry.accept(request(1), ['k'])
    expect(refused.kind).toBe('unavailable')
    expect(audit).toEqual([])
    held.release()
    const { run } = await accepted(registry, 2, ['k'])
    await run.finished
    expect(await store.countByStatus()).toEqual({ succeeded: 1 })
  })

  it('refuses a run whose audit record cannot be written, keeping nothing of it', async () => {
    let auditDown = true
    const { registry, store } = harness(stateDir(), { failAudit: () => auditDown })
    expect((await registry.accept(request(1), ['k'])).kind).toBe('unavailable')
    expect(await store.countByStatus()).toEqual({})
    expect(await store.findByKeys(['k'], Date.now())).toBeNull()
    auditDown = false
    const { run } = await accepted(registry, 1, ['k'])
    await run.finished
    expect(run.status).toBe('succeeded')
  })
})

describe('RunRegistry recording the outcome', () => {
  it('keeps a finished run in memory and retries its final state until the store takes it', async () => {
    const dir = stateDir()
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const { registry, store } = harness(dir, {
      execute: async (run, ctx) => { await gate; ctx.onEvent({ type: 'text', data: { text: 'late' } }); return ok }
    })
    const { run } = await accepted(registry, 1)
    await expect.poll(async () => (await store.getRun(run.id))?.run.status).toBe('running')
    const held = lock(dir)
    release()
    await expect.poll(() => run.status).toBe('succeeded')
    // Final, but not yet recorded: readers see it from memory, waiters keep waiting.
    expect((await registry.get(run.id))?.snapshot().status).toBe('succeeded')
    expect((await store.getRun(run.id))?.run.status).toBe('running')
    let settled = false
    void run.finished.then(() => { settled = true })
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(settled).toBe(false)
    held.release()
    await run.finished
    expect((await store.getRun(run.id))?.run).toMatchObject({ status: 'succeeded', output: 'done' })
    const events = (await store.readEvents(run.id, 0, 100)).events.map((e) => e.event)
    expect(events).toEqual(['run', 'run', 'text', 'result'])
  })

  it('retries an audit record that failed at the end of a run, once and in order', async () => {
    let auditDown = false
    const { registry, audit } = harness(stateDir(), {
      failAudit: () => auditDown,
      execute: async (_run, ctx) => { auditDown = true; ctx.onEvent({ type: 'text', data: { text: 'x' } }); return ok }
    })
    const { run } = await accepted(registry, 1)
    await expect.poll(() => run.status).toBe('succeeded')
    expect(audit.map((e) => e.event)).toEqual(['accepted'])
    auditDown = false
    await run.finished
    expect(audit.map((e) => e.event)).toEqual(['accepted', 'finished'])
  })

  it('stores more of a run\'s events than the ring holds and serves older cursors from the store', async () => {
    const { registry, store } = harness(stateDir(), {
      execute: streaming(500),
      ring: { maxEvents: 50, maxBytes: 1 << 20 },
      stored: { maxEvents: 300, maxBytes: 1 << 20 }
    })
    const { run } = await accepted(registry, 1)
    await run.finished
    expect(run.log.since(0).reset).toBe(true)
    const page = await registry.eventsAfter(run, 0, 1000)
    expect(page.reset).toBe(true)
    expect(page.events).toHaveLength(300)
    expect(page.events.at(-1)!.event).toBe('result')
    const seqs = page.events.map((e) => e.seq)
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => seqs[0]! + i))
    expect(await store.lastSeq(run.id)).toBe(run.log.lastSeq)
  })
})

describe('RunRegistry events let go of', () => {
  it('tells onEventDropped of every event the ring drops, oldest first, and of none it keeps', async () => {
    const dropped: RunEvent[] = []
    const { registry } = harness(stateDir(), {
      execute: streaming(500),
      ring: { maxEvents: 50, maxBytes: 1 << 20 },
      hooks: { onEventDropped: (event) => { dropped.push(event) } }
    })
    const { run } = await accepted(registry, 1)
    await run.finished
    const kept = run.log.since(0).events
    expect(kept[0]!.seq).toBeGreaterThan(1)
    // Every event before the first kept one, each once, in order; the live log drops none it keeps.
    expect(dropped.map((e) => e.seq)).toEqual(Array.from({ length: kept[0]!.seq - 1 }, (_, i) => i + 1))
    expect(dropped.filter((e) => kept.includes(e))).toEqual([])
  })
})

describe('RunRegistry recovery', () => {
  it('interrupts what a crash left running or queued, kills its leftovers and starts nothing', async () => {
    const dir = stateDir()
    const identify: ProcessControl = {
      identify: (_runId, pid) => ({ pid, pgid: pid, startTicks: 1, bootId: 'boot' }),
      kill: () => 0
    }
    const crashed = harness(dir, { execute: holding(), concurrency: 1, processes: identify })
    const running = await accepted(crashed.registry, 1)
    const queued = await accepted(crashed.registry, 2)
    await expect.poll(async () => (await crashed.store.getRun(running.run.id))?.process?.pid).toBe(process.pid)
    // The gateway dies here: nothing more is written by it.
    await crashed.store.close()

    const killed: Array<{ runId: string, record: ProcessRecord | null }> = []
    const processes: ProcessControl = {
      identify: () => null,
      kill: (runId, record) => { killed.push({ runId, record }); return record === null ? 0 : 2 }
    }
    let executed = 0
    const restarted = harness(dir, { processes, execute: async () => { executed++; return ok } })
    const recovered = await restarted.registry.recover()
    expect(recovered.map((r) => [r.id, r.status])).toEqual([[running.run.id, 'interrupted'], [queued.run.id, 'interrupted']])
    expect(killed.map((k) => k.runId)).toEqual([running.run.id, queued.run.id])
    expect(killed[0]!.record).toMatchObject({ pid: process.pid })
    expect(restarted.audit).toEqual([
      { event: 'interrupted', run: running.run.id, reason: 'crash', killed: 2 },
      { event: 'interrupted', run: queued.run.id, reason: 'not started', killed: 0 }
    ])
    const first = await restarted.store.getRun(running.run.id)
    expect(first?.run).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/crash/) })
    expect((await restarted.store.getRun(queued.run.id))?.run).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/not started/), started_at: null })
    // The event log ends with the result, after whatever was stored before the crash.
    const events = (await restarted.store.readEvents(running.run.id, 0, 100)).events
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { status: 'interrupted' } })
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(await restarted.registry.recover()).toEqual([])
    expect(executed).toBe(0)
  })
})

describe('RunRegistry shutdown', () => {
  it('drain ends queued runs as not started and stops running ones with the shutdown grace', async () => {
    const seen: Array<{ grace: number | null }> = []
    const { registry, store, audit } = harness(stateDir(), { execute: holding(seen), shutdownGraceMs: 7000 })
    const running = await accepted(registry, 1)
    const queued = await accepted(registry, 2)
    await expect.poll(() => running.run.status).toBe('running')
    await registry.drain()
    expect(seen).toEqual([{ grace: 7000 }])
    expect((await store.getRun(running.run.id))?.run).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/shutdown/) })
    expect((await store.getRun(queued.run.id))?.run).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/not started/) })
    expect(audit.filter((e) => e.event === 'finished').map((e) => e.status)).toEqual(['interrupted', 'interrupted'])
    expect((await registry.accept(request(3), [])).kind).toBe('overloaded')
  })

  it('forceStop records every active run synchronously, before any await', async () => {
    const dir = stateDir()
    const killed: string[] = []
    const processes: ProcessControl = { identify: () => null, kill: (runId) => { killed.push(runId); return 1 } }
    const { registry } = harness(dir, { execute: holding(), processes, concurrency: 2 })
    const a = await accepted(registry, 1)
    const b = await accepted(registry, 2)
    await expect.poll(() => a.run.status === 'running' && b.run.status === 'running').toBe(true)
    registry.forceStop()
    // Read with a separate connection at once: the rows were written inside forceStop itself.
    const db = new DatabaseSync(join(dir, 'hookgate.db'), { readOnly: true })
    const statuses = db.prepare('SELECT status FROM runs ORDER BY seq').all().map((r) => (r as { status: string }).status)
    db.close()
    expect(statuses).toEqual(['interrupted', 'interrupted'])
    expect(killed.sort()).toEqual([a.run.id, b.run.id].sort())
  })
})

describe('RunRegistry: runs that just finished', () => {
  /** A SQLite store that counts the runs read back from it. */
  class CountingStore extends SqliteStore {
    reads = 0
    override async getRun (id: string): ReturnType<SqliteStore['getRun']> {
      this.reads++
      return await super.getRun(id)
    }
  }

  function counted (opts: Partial<RegistryOptions> = {}): { registry: RunRegistry, store: CountingStore, clock: { now: number } } {
    const store = new CountingStore(stateDir())
    onTestFinished(() => store.close())
    const clock = { now: Date.parse('2026-11-22T08:00:00Z') }
    const registry = new RunRegistry({ concurrency: 1, queue: 10, demo: false, execute: streaming(1), store, now: () => clock.now, recent: { runs: 2, outputChars: 100, ageMs: 60_000 }, ...opts })
    return { registry, store, clock }
  }

  it('answers a run that just finished from memory, the very object that ran, not from the store', async () => {
    const { registry, store } = counted()
    const { run } = await accepted(registry, 1)
    await run.finished
    expect(await registry.get(run.id)).toBe(run)
    expect(store.reads).toBe(0)
    expect(run.finalJson()).toBe(JSON.stringify(run.finalSnapshot()))
  })

  it('keeps it without its event log, down to the result, and streams it from the store', async () => {
    const { registry } = counted({ execute: streaming(50) })
    const { run } = await accepted(registry, 1)
    await run.finished
    expect(run.log.oldestSeq).toBe(run.log.lastSeq)
    const page = await registry.eventSource(run).read(0)
    const events = 'frames' in page ? page.frames.bytes.toString().match(/^event: \w+$/gm) : page.events.map((e) => `event: ${e.event}`)
    expect(events).toEqual(['event: run', 'event: run', ...Array(50).fill('event: text'), 'event: result'])
  })

  it('reads it from the store once it is older than the age bound', async () => {
    const { registry, store, clock } = counted()
    const { run } = await accepted(registry, 1)
    await run.finished
    clock.now += 60_001
    const read = await registry.get(run.id)
    expect(read).not.toBe(run)
    expect(store.reads).toBe(1)
    expect(read?.snapshot()).toEqual(run.finalSnapshot())
  })

  it('keeps at most the bound in runs, the newest', async () => {
    const { registry, store } = counted()
    const runs = []
    for (let n = 1; n <= 3; n++) {
      const { run } = await accepted(registry, n)
      await run.finished
      runs.push(run)
    }
    expect(await registry.get(runs[2]!.id)).toBe(runs[2])
    expect(await registry.get(runs[1]!.id)).toBe(runs[1])
    expect(store.reads).toBe(0)
    expect(await registry.get(runs[0]!.id)).not.toBe(runs[0])
    expect(store.reads).toBe(1)
  })

  it('does not keep a run whose answer is longer than the bound in characters', async () => {
    const long = 'x'.repeat(101)
    const { registry, store } = counted({ execute: async () => ({ ...ok, output: long }) })
    const { run } = await accepted(registry, 1)
    await run.finished
    const read = await registry.get(run.id)
    expect(read).not.toBe(run)
    expect(store.reads).toBe(1)
    expect(read?.snapshot().output).toBe(long)
  })
})
