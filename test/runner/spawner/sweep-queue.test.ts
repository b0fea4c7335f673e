// The spawner's sweeps share /proc scans: those that arrive together make one scan, and scans are at
// least MIN_SWEEP_INTERVAL_MS apart under load, without ever dropping or reordering a sweep.
import { describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KillRequest } from '../../../src/proc/run-processes.ts'
import { MIN_SWEEP_INTERVAL_MS, SweepQueue } from '../../../src/runner/spawner/sweep-queue.ts'

const sweep = (runId: string, signal: NodeJS.Signals = 'SIGKILL'): KillRequest => ({ target: { runId }, signal })

function recorded (options: { fail?: boolean } = {}): { queue: SweepQueue, scans: Array<{ at: number, runs: string[] }> } {
  const scans: Array<{ at: number, runs: string[] }> = []
  const queue = new SweepQueue({
    kill: (requests) => {
      scans.push({ at: performance.now(), runs: requests.map((r) => `${r.target.runId}:${r.signal}`) })
      if (options.fail === true) throw new Error('EACCES reading /proc')
    }
  })
  return { queue, scans }
}

describe('SweepQueue', () => {
  it('makes one scan, on the next turn, of the sweeps that arrive together, in their order', async () => {
    const { queue, scans } = recorded()
    queue.add(sweep('r1'))
    queue.add(sweep('r2', 'SIGTERM'))
    queue.add(sweep('r1', 'SIGTERM'))
    expect(scans).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(scans.map((s) => s.runs)).toEqual([['r1:SIGKILL', 'r2:SIGTERM', 'r1:SIGTERM']])
    expect(queue.pending).toBe(0)
  })

  it('puts the sweeps that come soon after a scan into one later scan, no sooner than the interval', async () => {
    const { queue, scans } = recorded()
    queue.add(sweep('r1'))
    await new Promise((resolve) => setImmediate(resolve))
    for (const id of ['r2', 'r3', 'r4']) queue.add(sweep(id))
    expect(scans).toHaveLength(1)
    await new Promise((resolve) => setImmediate(resolve))
    // Not on the next turn as after a quiet spell: held for the interval.
    expect(scans).toHaveLength(1)
    await sleep(MIN_SWEEP_INTERVAL_MS * 3)
    expect(scans.map((s) => s.runs)).toEqual([['r1:SIGKILL'], ['r2:SIGKILL', 'r3:SIGKILL', 'r4:SIGKILL']])
    // Node's timers are whole milliseconds and may fire a little early against performance.now().
    expect(scans[1]!.at - scans[0]!.at).toBeGreaterThanOrEqual(MIN_SWEEP_INTERVAL_MS - 3)
  })

  it('scans at once after a quiet spell', async () => {
    const { queue, scans } = recorded()
    queue.add(sweep('r1'))
    await sleep(MIN_SWEEP_INTERVAL_MS + 10)
    queue.add(sweep('r2'))
    // On the next turn: a held sweep would still be waiting for its timer here.
    await new Promise((resolve) => setImmediate(resolve))
    expect(scans.map((s) => s.runs)).toEqual([['r1:SIGKILL'], ['r2:SIGKILL']])
  })

  it('runs what is pending on flush, and nothing twice', async () => {
    const { queue, scans } = recorded()
    queue.add(sweep('r1'))
    queue.flush()
    expect(scans.map((s) => s.runs)).toEqual([['r1:SIGKILL']])
    await sleep(MIN_SWEEP_INTERVAL_MS * 2)
    queue.flush()
    expect(scans).toHaveLength(1)
  })

  it('runs the pending sweeps at once when a process of one of their runs is about to start', async () => {
    const { queue, scans } = recorded()
    queue.add(sweep('r1'))
    await new Promise((resolve) => setImmediate(resolve))
    queue.add(sweep('r2'))
    queue.add(sweep('r3'))
    queue.flushFor('r9')
    expect(scans).toHaveLength(1)
    queue.flushFor('r3')
    expect(scans.map((s) => s.runs)).toEqual([['r1:SIGKILL'], ['r2:SIGKILL', 'r3:SIGKILL']])
    await sleep(MIN_SWEEP_INTERVAL_MS * 2)
    expect(scans).toHaveLength(2)
  })

  it('keeps sweeping after a scan that failed', async () => {
    const { queue, scans } = recorded({ fail: true })
    queue.add(sweep('r1'))
    await new Promise((resolve) => setImmediate(resolve))
    queue.add(sweep('r2'))
    await sleep(MIN_SWEEP_INTERVAL_MS * 2)
    expect(scans.map((s) => s.runs)).toEqual([['r1:SIGKILL'], ['r2:SIGKILL']])
  })
})
