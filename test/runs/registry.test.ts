// The run registry's memory over many finished runs: each run's log is bounded on its own, and the
// logs of finished runs share one budget, so a series of large runs cannot add up (security.md §5.5).
import { describe, expect, it } from 'vitest'
import { RunRegistry, type Executor } from '../../src/runs/registry.ts'
import type { RunRequest } from '../../src/runs/run-state.ts'

const MiB = 1024 * 1024

const request = (n: number): RunRequest => ({ caller: 'ci', user: null, thread: null, command: 'run', prompt: `run ${n}`, tools: { allow: [], deny: [] } })

/** An agent that streams `chunks` text events of `size` characters, then succeeds. */
const streaming = (chunks: number, size: number): Executor => async (_run, ctx) => {
  for (let i = 0; i < chunks; i++) ctx.onEvent({ type: 'text', data: { text: String(i).padEnd(size, '.') } })
  return { status: 'succeeded', exit_code: 0, output: 'done', truncated: false, error: null, session: null, cost_usd: null, turns: 1 }
}

describe('RunRegistry retention', () => {
  it('keeps the logs of finished runs within one budget, newest whole, oldest down to their result', async () => {
    const registry = new RunRegistry({
      concurrency: 1,
      queue: 100,
      demo: false,
      execute: streaming(100, 10 * 1024),
      eventLog: { maxEvents: 1_000_000, maxBytes: 2 * MiB },
      finishedLogBytes: 3 * MiB
    })
    const runs = []
    for (let i = 0; i < 8; i++) {
      const accepted = registry.accept(request(i), [`id:${i}`])
      if (accepted.kind !== 'accepted') throw new Error(accepted.kind)
      await accepted.run.finished
      runs.push(accepted.run)
    }
    const total = runs.reduce((n, r) => n + r.log.bytes, 0)
    // Each run kept ~1 MiB; only the budget's worth of them (plus the one result of each other) remain.
    expect(total).toBeLessThan(3 * MiB + 8 * 2048)
    const whole = runs.filter((r) => !r.log.since(0).reset)
    expect(whole.length).toBeGreaterThanOrEqual(2)
    expect(whole).toEqual(runs.slice(runs.length - whole.length))
    for (const r of whole) expect(r.log.since(0, 1000).events).toHaveLength(r.log.lastSeq)
    for (const r of runs.slice(0, runs.length - whole.length)) {
      const { events, reset } = r.log.since(0)
      expect(reset).toBe(true)
      expect(events.map((e) => e.event)).toEqual(['result'])
      expect(events[0]!.data).toEqual(r.snapshot())
    }
    // Every run is still there to be read.
    for (const r of runs) expect(registry.get(r.id)?.snapshot()).toMatchObject({ status: 'succeeded', output: 'done' })
  })

  it('keeps the newest finished run whole even when it alone exceeds the budget', async () => {
    const registry = new RunRegistry({
      concurrency: 1, queue: 10, demo: false, execute: streaming(50, 10 * 1024), finishedLogBytes: 100 * 1024
    })
    const first = registry.accept(request(1), [])
    const second = registry.accept(request(2), [])
    if (first.kind !== 'accepted' || second.kind !== 'accepted') throw new Error('not accepted')
    await second.run.finished
    expect(second.run.log.since(0).reset).toBe(false)
    expect(first.run.log.since(0).events.map((e) => e.event)).toEqual(['result'])
  })

  it('forgets the oldest finished runs past retainFinished, and their logs with them', async () => {
    const registry = new RunRegistry({
      concurrency: 1, queue: 10, demo: false, execute: streaming(10, 1024), retainFinished: 3
    })
    const ids = []
    for (let i = 0; i < 5; i++) {
      const accepted = registry.accept(request(i), [])
      if (accepted.kind !== 'accepted') throw new Error(accepted.kind)
      await accepted.run.finished
      ids.push(accepted.run.id)
    }
    expect(ids.map((id) => registry.get(id) !== null)).toEqual([false, false, true, true, true])
    expect(registry.list({ limit: 10 }).map((r) => r.id)).toEqual(ids.slice(2).reverse())
  })
})
