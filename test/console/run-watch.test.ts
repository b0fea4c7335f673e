// The poll behind the live run list: the first read only sets the baseline, later reads turn what
// changed into numbered changes (with the status a run had before), a follower too far behind is told
// to reset, the poll runs only while someone follows, and it ends with `shutdown` when told to.
import { describe, expect, it } from 'vitest'
import { RunWatch } from '../../src/runs/run-watch.ts'
import type { Run, RunStatus } from '../../src/schemas/run.ts'
import { runObject } from '../helpers/run-object.ts'
import { waitFor } from '../helpers/gateway-process.ts'

function page (): { runs: Run[], set: (id: string, status: RunStatus) => void, reads: number, list: () => Promise<Run[]> } {
  const state = {
    runs: [] as Run[],
    reads: 0,
    set (id: string, status: RunStatus) {
      const at = state.runs.findIndex((r) => r.id === id)
      const run = runObject(id, Date.now(), { status })
      if (at === -1) state.runs.unshift(run)
      else state.runs[at] = run
    },
    async list () {
      state.reads++
      return state.runs.map((r) => ({ ...r }))
    }
  }
  return state
}

describe('RunWatch', () => {
  it('reports only what changed after the first read, oldest run first, with the status it had', async () => {
    const store = page()
    store.set('run_a', 'succeeded')
    const watch = new RunWatch({ list: store.list, ending: () => false, everyMs: 20, keep: 100 })
    const { seq, release } = await watch.follow()
    expect(seq).toBe(0)
    expect(watch.latest.map((r) => r.id)).toEqual(['run_a'])
    store.set('run_b', 'queued')
    store.set('run_c', 'queued')
    await waitFor(() => watch.lastSeq >= 2 ? true : undefined, 2000)
    store.set('run_b', 'running')
    await waitFor(() => watch.lastSeq >= 3 ? true : undefined, 2000)
    const changes = watch.since(0).events.map((c) => [c.seq, (c.data as Run).id, (c.data as Run).status, c.was])
    expect(changes).toEqual([[1, 'run_b', 'queued', null], [2, 'run_c', 'queued', null], [3, 'run_b', 'running', 'queued']])
    expect(watch.since(2)).toEqual({ events: [watch.since(0).events[2]], reset: false })
    release()
  })

  it('tells a follower that fell behind the kept changes to reset', async () => {
    const store = page()
    const watch = new RunWatch({ list: store.list, ending: () => false, everyMs: 10, keep: 2 })
    const { release } = await watch.follow()
    for (const id of ['run_a', 'run_b', 'run_c']) {
      store.set(id, 'queued')
      const before = watch.lastSeq
      await waitFor(() => watch.lastSeq > before ? true : undefined, 2000)
    }
    expect(watch.since(0)).toMatchObject({ reset: true })
    expect(watch.since(0).events.map((c) => (c.data as Run).id)).toEqual(['run_b', 'run_c'])
    expect(watch.since(1)).toMatchObject({ reset: false })
    release()
  })

  it('reads the store only while someone follows', async () => {
    const store = page()
    const watch = new RunWatch({ list: store.list, ending: () => false, everyMs: 10, keep: 10 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(store.reads).toBe(0)
    const first = await watch.follow()
    const second = await watch.follow()
    await waitFor(() => store.reads >= 3 ? true : undefined, 2000)
    first.release()
    first.release()
    const during = store.reads
    await waitFor(() => store.reads > during ? true : undefined, 2000)
    second.release()
    const after = store.reads
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(store.reads - after).toBeLessThanOrEqual(1)
  })

  it('wakes waiting followers on a change and ends with a shutdown change', async () => {
    const store = page()
    let ending = false
    const watch = new RunWatch({ list: store.list, ending: () => ending, everyMs: 10, keep: 10 })
    const { release } = await watch.follow()
    const idle = new AbortController()
    const woke = watch.waitAfter(watch.lastSeq, idle.signal)
    store.set('run_a', 'running')
    await woke
    expect(watch.lastSeq).toBe(1)
    ending = true
    await waitFor(() => watch.ended ? true : undefined, 2000)
    expect(watch.since(1).events).toMatchObject([{ seq: 2, event: 'shutdown', data: { message: 'The gateway is shutting down' } }])
    // Once ended, a wait returns at once.
    await watch.waitAfter(watch.lastSeq, idle.signal)
    release()
  })
})
