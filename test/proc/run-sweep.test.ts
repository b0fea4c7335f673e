// withRunSweep on its own: a group kill through it also signals the run's marked processes outside
// the group, and leaves the group itself to the launcher (no second SIGTERM for its members).
import { afterEach, describe, expect, it } from 'vitest'
import type { LaunchedProcess } from '../../src/runner/launcher.ts'
import { RUN_MARKER_VAR } from '../../src/proc/run-marker.ts'
import { withRunSweep } from '../../src/proc/run-sweep.ts'
import { firstLine, fixture, isAlive, Spawned, waitFor } from './helpers.ts'

const spawned = new Spawned()
afterEach(() => spawned.killAll())

/** A launched process whose group kill only records the call: what the sweep does is all that happens. */
function recordingLaunch (pid: number | undefined, calls: string[]): LaunchedProcess {
  return {
    pid,
    output: (async function * () {})(),
    exited: new Promise(() => {}),
    killGroup: (signal) => { calls.push(signal) },
    release: () => { calls.push('release') }
  }
}

describe('withRunSweep', () => {
  it('signals the marked processes outside the leader\'s group, and passes the group kill on', async () => {
    const runId = spawned.newRunId()
    const child = spawned.start(process.execPath, [fixture('proc-tree.mjs')], { detached: true, env: { PATH: process.env.PATH, [RUN_MARKER_VAR]: runId } })
    const tree = JSON.parse(await firstLine(child)) as Record<'leader' | 'member' | 'cleared' | 'escapee' | 'nested', number>
    spawned.add(...Object.values(tree))
    const calls: string[] = []
    const swept = withRunSweep(recordingLaunch(tree.leader, calls), runId)
    expect(swept.pid).toBe(tree.leader)

    swept.killGroup('SIGKILL')
    expect(calls).toEqual(['SIGKILL'])
    expect(await waitFor(() => !isAlive(tree.escapee) && !isAlive(tree.nested), 2000)).toBe(true)
    for (const pid of [tree.leader, tree.member, tree.cleared]) expect(isAlive(pid)).toBe(true) // the launcher's to kill
    swept.release()
    expect(calls).toEqual(['SIGKILL', 'release'])
  })

  it('returns a process that never started unchanged', () => {
    const launched = recordingLaunch(undefined, [])
    expect(withRunSweep(launched, spawned.newRunId())).toBe(launched)
  })
})
