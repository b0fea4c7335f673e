// Shared set-up for the sandbox tests: the real bwrap, real processes started the way the launcher
// starts an agent (argv array, detached, exactly the given environment), and a view from outside of
// which processes live in a sandbox's PID namespace.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, copyFileSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDead, listProcesses, parseStat } from '../../../src/proc/process-table.ts'
import { bwrapStatus } from '../../../src/runner/sandbox/find-bwrap.ts'

/**
 * A fixture script where a sandboxed process can read it: a checkout under /tmp (CI clones there) is
 * invisible inside, where /tmp is a fresh tmpfs, so such a fixture is copied out first.
 */
export function fixture (name: string): string {
  const source = fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url))
  if (!source.startsWith('/tmp/')) return source
  const dir = outsideTmpDir()
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const target = join(dir, basename(source))
  copyFileSync(source, target)
  return target
}

/** The bwrap to test with; throws the probe's own message when it cannot work here (a failure, not a skip). */
export async function usableBwrap (): Promise<string> {
  const status = await bwrapStatus(process.env.PATH)
  if (!status.ok) throw new Error(`sandbox tests need a working bwrap: ${status.message}`)
  return status.path
}

/**
 * A fresh directory that is not under /tmp: the sandbox gets its own empty /tmp, where every write
 * would succeed unseen, so read-only and hidden paths are only meaningful on the real file system.
 */
export function outsideTmpDir (): string {
  const base = '/var/tmp'
  accessSync(base, constants.W_OK)
  return mkdtempSync(join(base, 'hookgate-sandbox-'))
}

/** Under the gateway's tmpdir, like the runner's per-run scratch directory. */
export function insideTmpDir (): string {
  return mkdtempSync(join(tmpdir(), 'hookgate-sandbox-'))
}

export function removeDirs (dirs: string[]): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Processes a test started (each leads its own group); `killAll` ends every group still there. */
export class Started {
  readonly #pids = new Set<number>()

  start (argv: readonly string[], env: Record<string, string>): ChildProcess {
    const [file = '', ...args] = argv
    const child = spawn(file, args, { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.add(child.pid)
    child.on('error', () => {})
    return child
  }

  /** A group leader started by someone else (e.g. by a process the test started). */
  add (pid: number | undefined): void {
    if (pid !== undefined && pid > 0) this.#pids.add(pid)
  }

  async run (argv: readonly string[], env: Record<string, string>): Promise<Finished> {
    const child = this.start(argv, env)
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    return await new Promise((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    })
  }

  killAll (): void {
    for (const pid of this.#pids) {
      try { process.kill(-pid, 'SIGKILL') } catch {}
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
    this.#pids.clear()
  }
}

/** The first stdout line of `child`, or a rejection (with what stderr said) after `ms`. */
export async function firstLine (child: ChildProcess, ms = 10_000): Promise<string> {
  return await new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`no line within ${ms} ms; stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`)), ms)
    child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString() })
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const nl = out.indexOf('\n')
      if (nl === -1) return
      clearTimeout(timer)
      resolve(out.slice(0, nl))
    })
    child.once('exit', (code) => setTimeout(() => reject(new Error(`exited (${code}) before a line; stderr ${JSON.stringify(err)}`)), 50))
  })
}

/** The namespace's init: the only child of bwrap's monitor process. */
export function sandboxInit (bwrapPid: number): number | null {
  return listProcesses().find((entry) => entry.ppid === bwrapPid && !isDead(entry))?.pid ?? null
}

/** The PID namespace of `pid`, as the kernel names it ("pid:[4026532…]"). */
export function pidNamespace (pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/pid`)
}

/** Host pids of every live process in the namespace: no marker or group needed, nothing escapes it. */
export function namespaceMembers (namespace: string): number[] {
  return readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name)).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/pid`) === namespace && !isDeadOrZombie(pid)
    } catch {
      return false
    }
  })
}

/** Gone, or a zombie waiting for a reaper that may never come (PID 1 of a container may not reap). */
function isDeadOrZombie (pid: number): boolean {
  try {
    const entry = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    return entry === null || isDead(entry)
  } catch {
    return true
  }
}

export async function waitFor (check: () => boolean, ms: number): Promise<boolean> {
  const until = performance.now() + ms
  while (performance.now() < until) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return check()
}
