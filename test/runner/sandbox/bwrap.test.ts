// The real bwrap around real processes, started like the launcher starts an agent. If bwrap cannot
// work here the whole file fails with the probe's message: a skipped containment test proves nothing.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bwrapArgv, type SandboxLayout } from '../../../src/runner/sandbox/bwrap-argv.ts'
import { resolveSandboxLayout } from '../../../src/runner/sandbox/sandbox-layout.ts'
import {
  firstLine, fixture, insideTmpDir, namespaceMembers, outsideTmpDir, pidNamespace, removeDirs,
  sandboxInit, Started, usableBwrap, waitFor
} from './helpers.ts'

const node = process.execPath
const env = { PATH: '/usr/bin:/bin', HOME: homedir(), LANG: 'C.UTF-8', TERM: 'dumb', ONLY: 'this', HOOKGATE_RUN_ID: 'run_sandboxtest' }
/** init, leader, member, cleared (env -i), escapee (setsid), nested: see test/fixtures/proc-tree.mjs. */
const PROC_TREE_SIZE = 6

interface Inspection {
  pid: number
  procPids: number[]
  capEff: string | null
  cwd: string
  env: Record<string, string>
  args: string[]
  write: Record<string, { ok?: true, error?: string }>
  read: Record<string, { ok?: string, error?: string }>
  list: Record<string, { ok?: string[], error?: string }>
}

let bwrap = ''
const started = new Started()
const dirs: string[] = []

beforeAll(async () => { bwrap = await usableBwrap() })
afterEach(() => {
  started.killAll()
  removeDirs(dirs)
})

/**
 * The usual layout: the working directory holds the gateway's config and state directory, and the
 * agent's own state directory lives inside that state directory.
 */
function project () {
  const base = outsideTmpDir()
  const scratch = insideTmpDir()
  dirs.push(base, scratch)
  const cwd = join(base, 'my project')
  const state = join(cwd, '.hookgate')
  const agentState = join(state, 'agents', 'c1')
  const config = join(cwd, 'hookgate.yaml')
  const sibling = join(base, 'sibling')
  mkdirSync(agentState, { recursive: true })
  mkdirSync(sibling)
  writeFileSync(join(state, 'hookgate.db'), 'secret database')
  writeFileSync(join(state, 'audit.jsonl'), 'secret audit')
  writeFileSync(config, 'secret config')
  const layout = resolveSandboxLayout({ cwd, writable: [cwd, agentState, scratch], hidden: [state, config] })
  return { base, scratch, cwd, state, agentState, config, sibling, layout }
}

async function inspect (layout: SandboxLayout, plan: object = {}, rest: string[] = [], given: Record<string, string> = env): Promise<Inspection> {
  const result = await started.run(bwrapArgv(bwrap, [node, fixture('sandbox/inspect.mjs'), JSON.stringify(plan), ...rest], layout), given)
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout) as Inspection
}

describe('bwrap sandbox (real processes)', () => {
  it('gives the agent its own PID namespace: it is PID 2 next to the init and sees nothing else', async () => {
    const seen = await inspect(project().layout)
    expect(seen.pid).toBe(2)
    expect(seen.procPids).toEqual([1, 2])
  })

  it('lets the agent write only in its writable directories', async () => {
    const p = project()
    const stray = `.hookgate-sandbox-${randomBytes(6).toString('hex')}`
    const targets = {
      cwd: join(p.cwd, 'out.txt'),
      agentState: join(p.agentState, 'session.json'),
      scratch: join(p.scratch, 'policy.json'),
      sibling: join(p.sibling, 'x'),
      parent: join(p.base, 'x'),
      home: join(homedir(), stray),
      hiddenDir: join(p.state, 'x'),
      system: '/usr/hookgate-sandbox-x',
      tmp: join('/tmp', stray)
    }
    try {
      const seen = await inspect(p.layout, { write: Object.values(targets) })
      const outcome = (path: string): string => seen.write[path]?.error ?? 'ok'
      for (const path of [targets.cwd, targets.agentState, targets.scratch]) expect(outcome(path)).toBe('ok')
      for (const path of [targets.sibling, targets.parent, targets.home, targets.hiddenDir, targets.system]) {
        expect(['EROFS', 'EACCES']).toContain(outcome(path))
      }
      expect(readFileSync(targets.cwd, 'utf8')).toBe('written from inside')
      expect(readFileSync(targets.agentState, 'utf8')).toBe('written from inside')
      expect(readFileSync(targets.scratch, 'utf8')).toBe('written from inside')
      for (const path of [targets.sibling, targets.parent, targets.home, targets.hiddenDir, targets.system]) expect(existsSync(path)).toBe(false)
      // /tmp inside is a fresh tmpfs: writable, gone with the sandbox, never the gateway's /tmp.
      expect(outcome(targets.tmp)).toBe('ok')
      expect(existsSync(targets.tmp)).toBe(false)
    } finally {
      rmSync(targets.home, { force: true })
      rmSync(targets.tmp, { force: true })
    }
  })

  it('hides the gateway state directory and the config file, but not the agent state inside it', async () => {
    const p = project()
    writeFileSync(join(p.agentState, 'mine.json'), 'agent state')
    const seen = await inspect(p.layout, {
      read: [join(p.state, 'hookgate.db'), join(p.state, 'audit.jsonl'), p.config, join(p.agentState, 'mine.json')],
      list: [p.state, join(p.state, 'agents'), p.cwd]
    })
    expect(seen.read[join(p.state, 'hookgate.db')]).toEqual({ error: 'ENOENT' })
    expect(seen.read[join(p.state, 'audit.jsonl')]).toEqual({ error: 'ENOENT' })
    expect(seen.list[p.state]).toEqual({ ok: ['agents'] })
    expect(seen.list[join(p.state, 'agents')]).toEqual({ ok: ['c1'] })
    // /dev/null bound read-only and nodev: empty where devices may be opened, refused where not.
    const config = seen.read[p.config]
    expect(config?.ok === '' || config?.error === 'EACCES').toBe(true)
    expect(seen.read[join(p.agentState, 'mine.json')]).toEqual({ ok: 'agent state' })
    expect(seen.list[p.cwd]?.ok).toEqual(['.hookgate', 'hookgate.yaml'])
    // Nothing of the gateway's state was touched.
    expect(readFileSync(join(p.state, 'hookgate.db'), 'utf8')).toBe('secret database')
    expect(readFileSync(p.config, 'utf8')).toBe('secret config')
  })

  it('leaves the agent no capabilities (as root it could otherwise unmount what hides the state)', async () => {
    const seen = await inspect(project().layout)
    expect(seen.capEff).toBe('0000000000000000')
  })

  it('starts the agent in its working directory with exactly the given environment (bwrap adds PWD)', async () => {
    const p = project()
    const seen = await inspect(p.layout)
    expect(seen.cwd).toBe(p.layout.cwd)
    // bwrap exports PWD unconditionally after --chdir; no option removes it. Nothing else is added.
    expect(seen.env).toEqual({ ...env, PWD: p.layout.cwd })
    const bare = await inspect(p.layout, {}, [], { ONLY: 'this' })
    expect(bare.env).toEqual({ ONLY: 'this', PWD: p.layout.cwd })
  })

  it('hands a prompt-like argument over verbatim, as one argument', async () => {
    const prompt = '-rf "$(touch /tmp/pwned)" \'single\' `tick` $HOME; echo hi && * ?\n--help'
    const rest = ['-p', '--', prompt, '--output-format', '', '-']
    const seen = await inspect(project().layout, {}, rest)
    expect(seen.args).toEqual(rest)
  })

  it('reports the agent\'s exit status as its own; a missing command is bwrap\'s exit 1', async () => {
    const { layout } = project()
    expect((await started.run(bwrapArgv(bwrap, [node, '-e', 'process.exitCode = 7'], layout), env)).code).toBe(7)
    // A signal death comes back as 128 + the signal number: bwrap's init exits with it.
    const killed = await started.run(bwrapArgv(bwrap, [node, '-e', 'process.kill(process.pid, "SIGKILL")'], layout), env)
    expect({ code: killed.code, signal: killed.signal }).toEqual({ code: 137, signal: null })
    const missing = await started.run(bwrapArgv(bwrap, ['hookgate-missing-agent', 'prompt'], layout), env)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('execvp hookgate-missing-agent')
  })

  it('SIGKILL to the process group of bwrap leaves no process of the sandbox alive', async () => {
    const { layout } = project()
    const argv = bwrapArgv(bwrap, [node, fixture('proc-tree.mjs')], layout)
    const child = started.start(argv, { ...env, PROC_TREE_LIFETIME_MS: '15000' })
    const inside = JSON.parse(await firstLine(child)) as Record<string, number>
    // Numbered by the namespace: the leader comes right after the init.
    expect(inside.leader).toBe(2)
    const pid = child.pid ?? -1
    const init = sandboxInit(pid)
    expect(init).not.toBeNull()
    const namespace = pidNamespace(init ?? -1)
    expect(namespace).not.toBe(pidNamespace(process.pid))
    // All of the tree, the setsid escapee and the env -i child (no marker) included.
    expect(namespaceMembers(namespace)).toHaveLength(PROC_TREE_SIZE)

    process.kill(-pid, 'SIGKILL')
    expect(await waitFor(() => namespaceMembers(namespace).length === 0, 5000)).toBe(true)
  })

  it('dies with its parent: SIGKILL of the process that started bwrap ends the whole sandbox', async () => {
    const { layout } = project()
    const argv = bwrapArgv(bwrap, [node, fixture('proc-tree.mjs')], layout)
    const treeEnv = { ...env, PROC_TREE_LIFETIME_MS: '15000' }
    const holder = started.start([node, fixture('sandbox/hold-bwrap.mjs'), JSON.stringify(argv), JSON.stringify(treeEnv)], { PATH: env.PATH })
    const held = JSON.parse(await firstLine(holder)) as { bwrap: number, line: string }
    started.add(held.bwrap)
    const init = sandboxInit(held.bwrap)
    expect(init).not.toBeNull()
    const namespace = pidNamespace(init ?? -1)
    expect(namespaceMembers(namespace)).toHaveLength(PROC_TREE_SIZE)

    process.kill(holder.pid ?? -1, 'SIGKILL')
    expect(await waitFor(() => namespaceMembers(namespace).length === 0, 5000)).toBe(true)
    expect(await waitFor(() => namespaceMembers(pidNamespace(process.pid)).includes(held.bwrap) === false, 5000)).toBe(true)
  })
})
