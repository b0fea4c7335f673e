// The per-run event log behind SSE replay (the threat model (docs/security.md)): seq ids, exact resume, bounds
// with the oldest dropped, the final result always kept, and waiters that always settle.
import { getEventListeners } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EventLog } from '../../src/runs/event-log.ts'
import type { Run, RunEvent } from '../../src/schemas/run.ts'

// A real collection, so a test can see what memory the log keeps reachable.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const BIG = { maxEvents: 1_000_000, maxBytes: 1 << 30 }

function runObject (status: Run['status'] = 'succeeded'): Run {
  return {
    id: 'run_test', caller: 'ci', user: null, thread: null, command: 'run', status,
    created_at: '2026-01-01T00:00:00.000Z', started_at: null, finished_at: null, duration_ms: null,
    exit_code: null, output: '', truncated: false, error: null, session: null, cost_usd: null, turns: null,
    links: { self: '/v1/runs/run_test', events: '/v1/runs/run_test/events', cancel: '/v1/runs/run_test/cancel' }
  }
}

const text = (t: string) => ({ event: 'text', data: { text: t } }) as const
const result = (output = '') => ({ event: 'result', data: { ...runObject(), output } }) as const

function fill (log: EventLog, n: number, size = 1): void {
  for (let i = 0; i < n; i++) log.append(text('x'.repeat(size)))
}

/** Everything `since(cursor)` yields when paged the way the SSE writer pages it. */
function drain (log: EventLog, cursor: number, limit?: number): { seqs: number[], resets: number } {
  const seqs: number[] = []
  let resets = 0
  let at = cursor
  for (;;) {
    const { events, reset } = log.since(at, limit)
    if (reset) resets++
    if (events.length === 0) return { seqs, resets }
    for (const e of events) seqs.push(e.seq)
    at = events.at(-1)!.seq
  }
}

const seqs = (events: RunEvent[]) => events.map((e) => e.seq)
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)

describe('EventLog', () => {
  it('numbers events strictly increasing from 1', () => {
    const log = new EventLog(BIG)
    expect(log.lastSeq).toBe(0)
    const appended = [log.append(text('a')), log.append(text('b')), log.append(result())]
    expect(seqs(appended)).toEqual([1, 2, 3])
    expect(log.lastSeq).toBe(3)
    expect(log.since(0).events).toEqual(appended)
  })

  it('since(n) returns exactly the events after n, for every n', () => {
    const log = new EventLog(BIG)
    fill(log, 10)
    for (let n = 0; n <= 10; n++) {
      const { events, reset } = log.since(n)
      expect(reset).toBe(false)
      expect(seqs(events)).toEqual(range(n + 1, 10))
    }
  })

  it('pages with a limit and never skips an event between pages', () => {
    const log = new EventLog(BIG)
    fill(log, 700)
    expect(seqs(log.since(0, 3).events)).toEqual([1, 2, 3])
    expect(log.since(0).events).toHaveLength(256)
    expect(drain(log, 0, 7).seqs).toEqual(range(1, 700))
  })

  it('keeps at most maxEvents, dropping the oldest, and flags a cursor older than what it keeps', () => {
    const log = new EventLog({ maxEvents: 5, maxBytes: 1 << 30 })
    fill(log, 12)
    expect(seqs(log.since(7).events)).toEqual([8, 9, 10, 11, 12])
    expect(log.since(7).reset).toBe(false)
    for (const stale of [0, 3, 6]) {
      const { events, reset } = log.since(stale)
      expect(reset).toBe(true)
      expect(seqs(events)).toEqual([8, 9, 10, 11, 12])
    }
  })

  it('keeps at most maxBytes of event data, dropping the oldest', () => {
    // Each event is ~1 KiB of data; 10 KiB keeps fewer than 10 of them but more than a few.
    const log = new EventLog({ maxEvents: 1_000_000, maxBytes: 10 * 1024 })
    fill(log, 100, 1000)
    const { events, reset } = log.since(0)
    expect(reset).toBe(true)
    expect(events.length).toBeGreaterThanOrEqual(5)
    expect(events.length).toBeLessThan(11)
    expect(events.at(-1)!.seq).toBe(100)
    expect(seqs(events)).toEqual(range(101 - events.length, 100))
    const kept = events.reduce((n, e) => n + JSON.stringify(e.data).length, 0)
    expect(kept).toBeLessThanOrEqual(10 * 1024)
  })

  it('holds memory for what it keeps, not for what it dropped', () => {
    const log = new EventLog({ maxEvents: 1_000_000, maxBytes: 1024 * 1024 })
    gc()
    const before = process.memoryUsage().heapUsed
    // 60 MiB through a 1 MiB log, in distinct strings so nothing is shared.
    for (let i = 0; i < 960; i++) log.append(text(String(i).padEnd(64 * 1024, '.')))
    gc()
    const held = process.memoryUsage().heapUsed - before
    expect(log.lastSeq).toBe(960)
    expect(held).toBeLessThan(8 * 1024 * 1024)
  })

  it('shrinks to the final result on demand, and resumes from there with a reset', () => {
    const log = new EventLog(BIG)
    fill(log, 50, 100)
    const final = log.append(result())
    expect(log.bytes).toBeGreaterThan(50 * 100)
    log.shrink(0)
    expect(log.bytes).toBeLessThan(2000)
    expect(log.since(0)).toEqual({ events: [final], reset: true })
    expect(log.since(final.seq - 1)).toEqual({ events: [final], reset: false })
    expect(log.since(final.seq)).toEqual({ events: [], reset: false })
  })

  it('never drops the final result, however large and however small the bounds', () => {
    const log = new EventLog({ maxEvents: 1, maxBytes: 10 })
    fill(log, 5, 100)
    const final = log.append(result('y'.repeat(100_000)))
    expect(log.closed).toBe(true)
    const { events, reset } = log.since(0)
    expect(reset).toBe(true)
    expect(events).toEqual([final])
    expect(log.since(final.seq - 1)).toEqual({ events: [final], reset: false })
  })

  it('refuses appends after the result, so the result stays the last event', () => {
    const log = new EventLog(BIG)
    log.append(result())
    expect(() => log.append(text('late'))).toThrow(/closed/)
    expect(log.lastSeq).toBe(1)
  })

  it('treats a cursor it never handed out (beyond the newest) as a reset, never as a wait', () => {
    const log = new EventLog({ maxEvents: 3, maxBytes: 1 << 30 })
    fill(log, 6)
    expect(log.since(6)).toEqual({ events: [], reset: false })
    const { events, reset } = log.since(1000)
    expect(reset).toBe(true)
    expect(seqs(events)).toEqual([4, 5, 6])
  })

  describe('waitAfter', () => {
    /** A promise's state after every already-queued callback has run. */
    async function settled (p: Promise<void>): Promise<boolean> {
      let done = false
      void p.then(() => { done = true })
      await new Promise((resolve) => setImmediate(resolve))
      return done
    }

    it('waits while there is nothing new, then resolves on append', async () => {
      const log = new EventLog(BIG)
      fill(log, 2)
      const waiting = log.waitAfter(2, new AbortController().signal)
      expect(await settled(waiting)).toBe(false)
      log.append(text('c'))
      expect(await settled(waiting)).toBe(true)
    })

    it('resolves at once when an event after the cursor already exists', async () => {
      const log = new EventLog(BIG)
      fill(log, 2)
      expect(await settled(log.waitAfter(1, new AbortController().signal))).toBe(true)
    })

    it('resolves on close, and at once on a closed log', async () => {
      const log = new EventLog(BIG)
      fill(log, 1)
      const waiting = log.waitAfter(1, new AbortController().signal)
      expect(await settled(waiting)).toBe(false)
      log.append(result())
      expect(await settled(waiting)).toBe(true)
      expect(await settled(log.waitAfter(2, new AbortController().signal))).toBe(true)
    })

    it('resolves on abort (a client that went away), and at once when already aborted', async () => {
      const log = new EventLog(BIG)
      fill(log, 1)
      const gone = new AbortController()
      const waiting = log.waitAfter(1, gone.signal)
      expect(await settled(waiting)).toBe(false)
      gone.abort()
      expect(await settled(waiting)).toBe(true)
      expect(await settled(log.waitAfter(1, gone.signal))).toBe(true)
    })

    it('wakes every waiter on one append and keeps no waiter afterwards', async () => {
      const log = new EventLog(BIG)
      const signal = new AbortController().signal
      const waiters = Array.from({ length: 50 }, () => log.waitAfter(0, signal))
      log.append(text('a'))
      expect(await Promise.all(waiters.map(settled))).toEqual(waiters.map(() => true))
      // An abort listener left behind per wait would pile up on a long-lived client signal: one serves
      // every wait with that signal.
      const gone = new AbortController()
      for (let i = 1; i <= 100; i++) {
        const w = log.waitAfter(i, gone.signal)
        log.append(text('b'))
        await w
      }
      expect(getEventListeners(gone.signal, 'abort')).toHaveLength(1)
    })
  })

  it('property: since() is always a gap-free, duplicate-free suffix ending at the newest event', () => {
    const op = fc.oneof(
      { weight: 9, arbitrary: fc.nat({ max: 300 }).map((n) => ({ kind: 'text' as const, size: n })) },
      { weight: 1, arbitrary: fc.nat({ max: 3000 }).map((n) => ({ kind: 'result' as const, size: n })) }
    )
    fc.assert(fc.property(
      fc.array(op, { minLength: 1, maxLength: 200 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 8000 }),
      fc.integer({ min: 0, max: 260 }),
      fc.integer({ min: 1, max: 30 }),
      (ops, maxEvents, maxBytes, cursor, limit) => {
        const log = new EventLog({ maxEvents, maxBytes })
        let finalSeq: number | null = null
        for (const o of ops) {
          if (log.closed) break
          const e = log.append(o.kind === 'text' ? text('t'.repeat(o.size)) : result('r'.repeat(o.size)))
          if (o.kind === 'result') finalSeq = e.seq
        }
        const last = log.lastSeq
        const retained = log.since(0, Number.MAX_SAFE_INTEGER).events
        const oldest = retained[0]!.seq
        // Bounds hold unless only the newest event is left.
        if (retained.length > 1) {
          expect(retained.length).toBeLessThanOrEqual(maxEvents)
          expect(retained.reduce((n, e) => n + JSON.stringify(e.data).length, 0)).toBeLessThanOrEqual(maxBytes)
        }
        if (finalSeq !== null) expect(retained.at(-1)).toMatchObject({ seq: finalSeq, event: 'result' })

        const { seqs: got, resets } = drain(log, cursor, limit)
        const stale = cursor + 1 < oldest || cursor > last
        expect(resets).toBe(stale ? 1 : 0)
        expect(got).toEqual(range(stale ? oldest : cursor + 1, last))
      }
    ), { numRuns: 2000 })
  })
})
