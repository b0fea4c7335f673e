// Every process and temporary directory the bench creates, so that a failure or Ctrl-C leaves
// nothing behind. Servers run detached (their own process group) and write to a log file, so the
// bench never sits in their output path; on kill, their descendants (agents lead their own process
// groups) are found in /proc and killed by pid too.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { descendants } from './proc.ts'

export interface Exit { code: number | null, signal: NodeJS.Signals | null }

export interface Started {
  pid: number
  child: ChildProcess
  exited: Promise<Exit>
  /** True until the process has exited. */
  alive: () => boolean
  /** What it printed so far (stdout and stderr, from its log file). */
  log: () => string
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; its leftover descendants are killed too. */
  stop: (opts?: { signal?: NodeJS.Signals, graceMs?: number }) => Promise<Exit>
}

export interface SpawnOptions {
  cwd: string
  env: Record<string, string>
  /** Where stdout and stderr go; the process writes to the file directly. */
  logFile: string
}

export class ProcessSet {
  readonly #live = new Map<number, ChildProcess>()
  readonly #dirs = new Set<string>()

  tempDir (prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `hookgate-bench-${prefix}-`))
    this.#dirs.add(dir)
    return dir
  }

  spawn (file: string, args: string[], opts: SpawnOptions): Started {
    const fd = openSync(opts.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd], detached: true })
    } finally {
      closeSync(fd)
    }
    const exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }))
      child.once('error', () => resolve({ code: null, signal: null }))
    })
    const pid = child.pid
    if (pid === undefined) throw new Error(`could not start ${file}`)
    this.#live.set(pid, child)
    void exited.then(() => this.#live.delete(pid))
    const alive = (): boolean => child.exitCode === null && child.signalCode === null
    const log = (): string => {
      try { return readFileSync(opts.logFile, 'utf8') } catch { return '' }
    }
    const stop = async ({ signal = 'SIGTERM', graceMs = 5000 }: { signal?: NodeJS.Signals, graceMs?: number } = {}): Promise<Exit> => {
      const tree = descendants(pid).map((s) => s.pid)
      if (alive()) child.kill(signal)
      const escalate = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const final = await exited
      clearTimeout(escalate)
      killPids([...tree, ...descendants(pid).map((s) => s.pid)])
      return final
    }
    return { pid, child, exited, alive, log, stop }
  }

  /** Synchronous, for exit and signal handlers: SIGKILL every process started and its descendants. */
  killAll (): void {
    for (const pid of this.#live.keys()) {
      const tree = descendants(pid).map((s) => s.pid)
      killPids([pid, ...tree])
    }
    this.#live.clear()
  }

  removeDirs (): void {
    for (const dir of this.#dirs) rmSync(dir, { recursive: true, force: true })
    this.#dirs.clear()
  }
}

function killPids (pids: number[]): void {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
}
