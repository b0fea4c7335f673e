// Finding and killing one run's processes with real process trees: the group, setsid escapees found
// by the marker, and nothing else, ever: not strangers, not a reused pid, not another boot's record.
import { afterEach, describe, expect, it } from 'vitest'
import { currentBootId, hasEnvMarker, listProcesses, processIdentity } from '../../src/proc/process-table.ts'
import { RUN_MARKER_VAR } from '../../src/proc/run-marker.ts'
import { findRunProcesses, killEachRun, killRunProcesses, recordFor, type RunProcessRecord } from '../../src/proc/run-processes.ts'
import { firstLine, fixture, isAlive, Spawned, waitFor } from './helpers.ts'

interface Tree { leader: number, member: number, cleared: number, escapee: number, nested: number }

const spawned = new Spawned()
afterEach(() => spawned.killAll())

/** proc-tree.mjs started like an agent: detached (own group and session), marked when runId is given. */
async function startTree (runId: string | null, env: Record<string, string> = {}): Promise<Tree> {
  const marker = runId === null ? {} : { [RUN_MARKER_VAR]: runId }
  const child = spawned.start(process.execPath, [fixture('proc-tree.mjs')], { detached: true, env: { PATH: process.env.PATH, ...marker, ...env } })
  const tree = JSON.parse(await firstLine(child)) as Tree
  spawned.add(...Object.values(tree))
  return tree
}

const pidsOf = (found: Array<{ pid: number }>): number[] => found.map((p) => p.pid).sort((a, b) => a - b)
const sorted = (...pids: number[]): number[] => pids.sort((a, b) => a - b)
const treePids = (t: Tree): number[] => sorted(t.leader, t.member, t.cleared, t.escapee, t.nested)
const allDead = async (pids: number[]): Promise<boolean> => await waitFor(() => pids.every((pid) => !isAlive(pid)), 3000)

async function startSleeper (options: { detached?: boolean, env?: Record<string, string> } = {}): Promise<number> {
  const child = spawned.start(process.execPath, ['-e', "console.log('ready'); setTimeout(() => {}, 20000)"], { detached: options.detached ?? false, env: { PATH: process.env.PATH, ...options.env } })
  await firstLine(child)
  return child.pid!
}

describe('the run marker', () => {
  it('is inherited through setsid, into a new session and group, and by the escapee\'s children', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    const leader = processIdentity(tree.leader)!
    const escapee = processIdentity(tree.escapee)!
    expect(leader).toMatchObject({ pgid: tree.leader, sid: tree.leader })
    expect(escapee).toMatchObject({ pgid: tree.escapee, sid: tree.escapee }) // really escaped
    expect(processIdentity(tree.nested)).toMatchObject({ pgid: tree.escapee, sid: tree.escapee })
    for (const pid of [tree.leader, tree.member, tree.escapee, tree.nested]) expect(hasEnvMarker(pid, RUN_MARKER_VAR, runId)).toBe(true)
    expect(hasEnvMarker(tree.cleared, RUN_MARKER_VAR, runId)).toBe(false) // env -i drops it
    expect(processIdentity(tree.cleared)).toMatchObject({ pgid: tree.leader }) // but it stays in the group
  })
})

describe('recordFor', () => {
  it('records the leader\'s group, start time and boot', async () => {
    const runId = spawned.newRunId()
    const pid = await startSleeper({ detached: true })
    const identity = processIdentity(pid)!
    expect(recordFor(runId, pid)).toEqual({ runId, pid, pgid: pid, startTicks: identity.startTicks, bootId: currentBootId() })
  })

  it('is null for a pid that is gone, and refuses a run id that could match anything', async () => {
    const pid = await startSleeper()
    process.kill(pid, 'SIGKILL')
    expect(await waitFor(() => processIdentity(pid) === null, 2000)).toBe(true)
    expect(recordFor(spawned.newRunId(), pid)).toBeNull()
    expect(() => recordFor('', process.pid)).toThrow(RangeError)
    expect(() => findRunProcesses({ runId: 'has space' })).toThrow(RangeError)
  })
})

describe('findRunProcesses', () => {
  it('finds the group (even env -i) and the setsid escapees, and nothing else', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    const stranger = await startSleeper({ detached: true })
    const otherRun = await startTree(spawned.newRunId()) // marked, but for another run
    const unmarkedTree = await startTree(null)
    const found = findRunProcesses(recordFor(runId, tree.leader)!)
    expect(pidsOf(found)).toEqual(treePids(tree))
    const via = Object.fromEntries(found.map((p) => [p.pid, p.via]))
    expect(via).toEqual({ [tree.leader]: 'group', [tree.member]: 'group', [tree.cleared]: 'group', [tree.escapee]: 'marker', [tree.nested]: 'marker' })
    for (const pid of [stranger, process.pid, ...treePids(otherRun), ...treePids(unmarkedTree)]) expect(pidsOf(found)).not.toContain(pid)
  })

  it('with the marker alone, finds every marked process of the run, bounded by start time and boot', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    const leader = processIdentity(tree.leader)!
    expect(pidsOf(findRunProcesses({ runId }))).toEqual(sorted(tree.leader, tree.member, tree.escapee, tree.nested))
    expect(pidsOf(findRunProcesses({ runId, notBeforeTicks: leader.startTicks, bootId: leader.bootId }))).toEqual(sorted(tree.leader, tree.member, tree.escapee, tree.nested))
    expect(findRunProcesses({ runId, notBeforeTicks: leader.startTicks + 100 * 3600 })).toEqual([])
    expect(findRunProcesses({ runId, bootId: '00000000-0000-0000-0000-000000000000' })).toEqual([])
  })

  it('once the leader is gone, trusts group members only through the marker', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId, { PROC_TREE_LEADER: 'exit' })
    // The leader may be gone already; the member started after it and before the others.
    const record: RunProcessRecord = { runId, pid: tree.leader, pgid: tree.leader, startTicks: processIdentity(tree.member)!.startTicks, bootId: currentBootId()! }
    expect(await waitFor(() => !isAlive(tree.leader), 3000)).toBe(true)
    // The group number is free to be reused now, so an unmarked member (env -i) is not trusted.
    expect(pidsOf(findRunProcesses(record))).toEqual(sorted(tree.member, tree.escapee, tree.nested))
    expect(isAlive(tree.cleared)).toBe(true)
  })

  it('skips zombies', async () => {
    const runId = spawned.newRunId()
    // sh backgrounds a short sleep and execs a long one that never reaps it: a marked zombie in the group.
    const child = spawned.start('/bin/sh', ['-c', 'sleep 0 & exec sleep 20'], { detached: true, env: { PATH: process.env.PATH, [RUN_MARKER_VAR]: runId } })
    const zombie = (): number | undefined => listProcesses().find((p) => p.ppid === child.pid && p.state === 'Z')?.pid
    expect(await waitFor(() => zombie() !== undefined, 3000)).toBe(true)
    expect(processIdentity(zombie()!)).toMatchObject({ pgid: child.pid })
    expect(pidsOf(findRunProcesses(recordFor(runId, child.pid!)!))).toEqual([child.pid])
    expect(pidsOf(findRunProcesses({ runId }))).toEqual([child.pid])
  })

  it('never returns the process that asks, nor its marked ancestors', async () => {
    const runId = spawned.newRunId()
    // sh (marked) -> proc-find-self.mjs (marked, asks) -> a marked child. "; true" keeps sh from exec'ing.
    const sh = spawned.start('/bin/sh', ['-c', `"${process.execPath}" "${fixture('proc-find-self.mjs')}"; true`], { env: { PATH: process.env.PATH, [RUN_MARKER_VAR]: runId } })
    const seen = JSON.parse(await firstLine(sh)) as { self: number, parent: number, parentMarked: boolean, child: number, found: number[] }
    spawned.add(seen.self, seen.child)
    expect(seen.parent).toBe(sh.pid)
    expect(seen.parentMarked).toBe(true)
    expect(seen.found).toEqual([seen.child])
  })
})

describe('killRunProcesses', () => {
  it('kills the group and the escapees, and leaves strangers and other runs alone', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    const stranger = await startSleeper({ detached: true })
    const otherRun = await startTree(spawned.newRunId())
    expect(killRunProcesses(recordFor(runId, tree.leader)!, 'SIGKILL')).toBe(5)
    expect(await allDead(treePids(tree))).toBe(true)
    for (const pid of [stranger, ...treePids(otherRun)]) expect(isAlive(pid)).toBe(true)
    expect(findRunProcesses({ runId })).toEqual([])
  })

  it('sends SIGTERM to each process of the run, counting each once', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    expect(killRunProcesses(recordFor(runId, tree.leader)!, 'SIGTERM')).toBe(5)
    expect(await allDead(treePids(tree))).toBe(true)
  })

  it('leaves a group alone that the caller signals itself (exceptPgid)', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    expect(killRunProcesses({ runId }, 'SIGKILL', { exceptPgid: tree.leader })).toBe(2)
    expect(await allDead([tree.escapee, tree.nested])).toBe(true)
    for (const pid of [tree.leader, tree.member, tree.cleared]) expect(isAlive(pid)).toBe(true)
  })

  it('kills nothing of a process that reused the recorded pid', async () => {
    // An unmarked tree whose leader has the recorded pid but a different start time: a stranger.
    const stranger = await startTree(null)
    const actual = processIdentity(stranger.leader)!
    for (const startTicks of [actual.startTicks - 1, actual.startTicks + 1]) {
      const reused: RunProcessRecord = { runId: spawned.newRunId(), pid: stranger.leader, pgid: stranger.leader, startTicks, bootId: actual.bootId }
      expect(findRunProcesses(reused)).toEqual([])
      expect(killRunProcesses(reused, 'SIGKILL')).toBe(0)
    }
    // And a reused pid that is not a group leader: its group is not the recorded one.
    const plain = await startSleeper()
    const plainIdentity = processIdentity(plain)!
    expect(killRunProcesses({ runId: spawned.newRunId(), pid: plain, pgid: plain, startTicks: plainIdentity.startTicks, bootId: actual.bootId }, 'SIGKILL')).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (const pid of [...treePids(stranger), plain]) expect(isAlive(pid)).toBe(true)
  })

  it('kills nothing for a record of another boot, even of a live marked run', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    const record = { ...recordFor(runId, tree.leader)!, bootId: '00000000-0000-0000-0000-000000000000' }
    expect(killRunProcesses(record, 'SIGKILL')).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (const pid of treePids(tree)) expect(isAlive(pid)).toBe(true)
  })

  it('never signals the gateway\'s own group, even when a record names it', () => {
    const runId = spawned.newRunId()
    expect(killRunProcesses(recordFor(runId, process.pid)!, 'SIGCONT')).toBe(0)
    const parent = processIdentity(process.ppid)!
    expect(killRunProcesses({ runId, pid: process.ppid, pgid: parent.pgid, startTicks: parent.startTicks, bootId: parent.bootId }, 'SIGCONT')).toBe(0)
  })
})

describe('killEachRun', () => {
  it('kills several runs from shared scans, counts each run apart and leaves the rest alone', async () => {
    const [a, b, spared] = [spawned.newRunId(), spawned.newRunId(), spawned.newRunId()]
    const [treeA, treeB, treeSpared] = [await startTree(a), await startTree(b), await startTree(spared)]
    const stranger = await startSleeper({ detached: true })
    const counts = killEachRun([
      { target: recordFor(a, treeA.leader)!, signal: 'SIGKILL' },
      // Marker only, and its group left to the caller: only the escapee and its child.
      { target: { runId: b }, signal: 'SIGKILL', options: { exceptPgid: treeB.leader } },
      { target: { runId: spared, bootId: '00000000-0000-0000-0000-000000000000' }, signal: 'SIGKILL' }
    ])
    expect(counts).toEqual([5, 2, 0])
    expect(await allDead([...treePids(treeA), treeB.escapee, treeB.nested])).toBe(true)
    for (const pid of [treeB.leader, treeB.member, treeB.cleared, ...treePids(treeSpared), stranger]) expect(isAlive(pid)).toBe(true)
  })

  it('refuses a malformed run id before signalling anything', async () => {
    const runId = spawned.newRunId()
    const tree = await startTree(runId)
    expect(() => killEachRun([{ target: { runId }, signal: 'SIGKILL' }, { target: { runId: 'has space' }, signal: 'SIGKILL' }])).toThrow(RangeError)
    for (const pid of treePids(tree)) expect(isAlive(pid)).toBe(true)
  })
})
