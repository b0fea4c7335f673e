// The event writer against a real SQLite store: what is pending goes out in bounded transactions, in
// order, with the event loop let in between them; a flush writes what was pending when it was called;
// flushes running together and a failing write keep every event, once, in order.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EventWriter } from '../../src/runs/event-writer.ts'
import { eventSize } from '../../src/runs/event-json.ts'
import type { RunEvent } from '../../src/schemas/run.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

/** A real store that notes each batch it is given and, when told to, fails the next one. */
class RecordingStore extends SqliteStore {
  readonly batches: number[][] = []
  readonly order: string[] = []
  failNext = false

  override async appendEvents (id: string, events: readonly RunEvent[], keepFromSeq: number): Promise<void> {
    if (this.failNext) {
      this.failNext = false
      this.order.push('failed')
      throw new Error('disk full')
    }
    this.batches.push(events.map((e) => e.seq))
    this.order.push('batch')
    await super.appendEvents(id, events, keepFromSeq)
  }
}

function setup (): { store: RecordingStore, writer: EventWriter, failures: unknown[] } {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-writer-'))
  dirs.push(dir)
  const store = new RecordingStore(dir)
  const failures: unknown[] = []
  const writer = new EventWriter({ store, limits: { maxEvents: 50_000, maxBytes: 64 * 1024 * 1024 }, onFailed: (_id, error) => failures.push(error) })
  return { store, writer, failures }
}

const text = (seq: number, chars = 20): RunEvent => ({ seq, event: 'text', data: { text: `${seq}:`.padEnd(chars, 'x') } })

async function storedSeqs (store: SqliteStore): Promise<number[]> {
  const seqs: number[] = []
  for (let after = 0; ;) {
    const page = await store.readEvents('run_1', after, 1000)
    if (page.events.length === 0) return seqs
    seqs.push(...page.events.map((e) => e.seq))
    after = page.events.at(-1)!.seq
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** Pushes text events `from`..`to` of run_1. */
function push (writer: EventWriter, from: number, to: number): void {
  for (const seq of range(from, to)) writer.push('run_1', text(seq))
}

describe('EventWriter', () => {
  it('writes many small events in transactions of at most 256 events, all of them, in order', async () => {
    const { store, writer } = setup()
    push(writer, 1, 1000)
    await writer.flush('run_1')
    expect(store.batches.length).toBe(4)
    expect(Math.max(...store.batches.map((b) => b.length))).toBeLessThanOrEqual(256)
    expect(store.batches.flat()).toEqual(range(1, 1000))
    expect(await storedSeqs(store)).toEqual(range(1, 1000))
    writer.stop()
  })

  it('bounds a transaction at 256 KiB, an event larger than that going alone', async () => {
    const { store, writer } = setup()
    const events = [...range(1, 10).map((seq) => text(seq, 100 * 1024)), text(11, 600 * 1024), text(12, 10)]
    for (const e of events) writer.push('run_1', e)
    await writer.flush('run_1')
    const bytes = (batch: number[]): number => batch.reduce((n, seq) => n + eventSize(events[seq - 1]!), 0)
    for (const batch of store.batches) {
      if (batch.length > 1) expect(bytes(batch)).toBeLessThanOrEqual(256 * 1024)
    }
    expect(store.batches).toContainEqual([11])
    expect(store.batches.flat()).toEqual(range(1, 12))
    writer.stop()
  })

  it('lets the event loop turn between transactions', async () => {
    const { store, writer } = setup()
    push(writer, 1, 1000)
    setImmediate(() => store.order.push('other work'))
    await writer.flush('run_1')
    expect(store.order[0]).toBe('batch')
    expect(store.order.indexOf('other work')).toBeGreaterThan(0)
    expect(store.order.indexOf('other work')).toBeLessThan(store.order.length - 1)
    writer.stop()
  })

  it('writes what was pending when called; events pushed meanwhile wait for the next flush', async () => {
    const { store, writer } = setup()
    push(writer, 1, 600)
    const flushing = writer.flush('run_1')
    push(writer, 601, 610)
    await flushing
    expect(await storedSeqs(store)).toEqual(range(1, 600))
    await writer.flush('run_1')
    expect(await storedSeqs(store)).toEqual(range(1, 610))
    writer.stop()
  })

  it('keeps order and writes each event once when flushes run together', async () => {
    const { store, writer } = setup()
    push(writer, 1, 1000)
    const first = writer.flush('run_1')
    push(writer, 1001, 1300)
    await Promise.all([first, writer.flush('run_1'), writer.flushAll()])
    expect(store.batches.flat()).toEqual(range(1, 1300))
    expect(await storedSeqs(store)).toEqual(range(1, 1300))
    writer.stop()
  })

  it('keeps a failed batch and everything after it pending, in order, for the next attempt', async () => {
    const { store, writer } = setup()
    push(writer, 1, 700)
    const flushing = writer.flush('run_1')
    setImmediate(() => { store.failNext = true })
    await expect(flushing).rejects.toThrow('disk full')
    const written = store.batches.flat()
    expect(written).toEqual(range(1, written.length))
    expect(written.length).toBeLessThan(700)
    await writer.flush('run_1')
    expect(await storedSeqs(store)).toEqual(range(1, 700))
    writer.stop()
  })
})
