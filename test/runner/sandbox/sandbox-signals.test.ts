// Stopping a sandboxed agent through the real launcher: the SIGTERM of a stop must reach the agent
// (its grace period), and the SIGKILL must still take the whole sandbox down.
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { withRunSweep } from '../../../src/proc/run-sweep.ts'
import { launcher } from '../../helpers/launcher.ts'
import type { LaunchedProcess } from '../../../src/runner/launcher.ts'
import { bwrapArgv, type SandboxLayout } from '../../../src/runner/sandbox/bwrap-argv.ts'
import { withSandboxSignals } from '../../../src/runner/sandbox/sandbox-signals.ts'
import { fixture, insideTmpDir, namespaceMembers, pidNamespace, removeDirs, sandboxInit, Started, usableBwrap, waitFor } from './helpers.ts'

const node = process.execPath
const RUN_ID = 'run_sandboxsignals'
const env = { PATH: '/usr/bin:/bin', HOOKGATE_RUN_ID: RUN_ID, PROC_TREE_LIFETIME_MS: '15000' }

/** Counts SIGTERMs for a moment after the first, then reports and exits 3: a CLI saving its session. */
const graceful = `
let terms = 0
process.on('SIGTERM', () => {
  if (terms++ === 0) setTimeout(() => { process.stdout.write('terms=' + terms + '\\n'); process.exit(3) }, 300)
})
process.stdout.write('ready\\n')
setInterval(() => {}, 1000)`

let bwrap = ''
const dirs: string[] = []
const started = new Started()
beforeAll(async () => { bwrap = await usableBwrap() })
afterEach(() => {
  started.killAll()
  removeDirs(dirs)
})

function layout (): SandboxLayout {
  const cwd = insideTmpDir()
  dirs.push(cwd)
  return { cwd, writable: [cwd], hidden: [] }
}

async function launch (argv: string[]): Promise<{ child: LaunchedProcess, output: () => string }> {
  const child = await launcher.launch({ argv: bwrapArgv(bwrap, argv, layout()), cwd: '/', env })
  started.add(child.pid)
  let text = ''
  void (async () => { for await (const { chunk } of child.output) text += Buffer.from(chunk).toString() })()
  return { child, output: () => text }
}

describe('withSandboxSignals', () => {
  it('delivers a SIGTERM to the agent inside, which then ends on its own terms', async () => {
    const { child, output } = await launch([node, '-e', graceful])
    const sandboxed = withSandboxSignals(child)
    expect(await waitFor(() => output().includes('ready'), 5000)).toBe(true)
    sandboxed.killGroup('SIGTERM')
    expect(await child.exited).toEqual({ code: 3, signal: null, spawnError: null })
    expect(output()).toContain('terms=1')
  })

  it('is needed: a SIGTERM to bwrap\'s own group kills the sandbox outright, unseen by the agent', async () => {
    const { child, output } = await launch([node, '-e', graceful])
    expect(await waitFor(() => output().includes('ready'), 5000)).toBe(true)
    child.killGroup('SIGTERM')
    expect(await child.exited).toMatchObject({ code: null, signal: 'SIGTERM' })
    expect(output()).not.toContain('terms=')
  })

  it('composed over the run sweep, signals the agent once, not twice', async () => {
    const { child, output } = await launch([node, '-e', graceful])
    const sandboxed = withSandboxSignals(withRunSweep(child, RUN_ID))
    expect(await waitFor(() => output().includes('ready'), 5000)).toBe(true)
    sandboxed.killGroup('SIGTERM')
    expect((await child.exited).code).toBe(3)
    expect(output()).toContain('terms=1')
  })

  it('passes SIGKILL to bwrap, which takes the whole namespace down', async () => {
    const { child, output } = await launch([node, fixture('proc-tree.mjs')])
    const sandboxed = withSandboxSignals(withRunSweep(child, RUN_ID))
    expect(await waitFor(() => output().includes('"nested"'), 10_000)).toBe(true)
    const namespace = pidNamespace(sandboxInit(child.pid ?? -1) ?? -1)
    expect(namespaceMembers(namespace)).toHaveLength(6)
    sandboxed.killGroup('SIGKILL')
    expect(await child.exited).toMatchObject({ signal: 'SIGKILL' })
    expect(await waitFor(() => namespaceMembers(namespace).length === 0, 5000)).toBe(true)
  })

  it('falls back to bwrap\'s group when there is no sandbox (yet): nothing is left running', async () => {
    const child = await launcher.launch({ argv: [node, '-e', 'setInterval(() => {}, 1000)'], cwd: '/', env })
    started.add(child.pid)
    withSandboxSignals(child).killGroup('SIGTERM')
    expect(await child.exited).toMatchObject({ signal: 'SIGTERM' })
  })
})
