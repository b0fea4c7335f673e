// Shared set-up for the src/proc tests: real processes only, each remembered so that afterEach can
// kill it by pid whatever the test did.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { killRunProcesses } from '../../src/proc/run-processes.ts'
import { isDeadOrZombie, waitFor } from '../runner/helpers.ts'

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/**
 * Pids a test started; `killAll` in afterEach ends every one still there, and, as a backstop for a
 * test that failed before it learnt all its pids, every process marked with one of its run ids.
 */
export class Spawned {
  readonly #pids = new Set<number>()
  readonly #runIds = new Set<string>()

  newRunId (): string {
    const runId = `run_test${randomBytes(8).toString('hex')}`
    this.#runIds.add(runId)
    return runId
  }

  add (...pids: Array<number | undefined>): void {
    for (const pid of pids) if (pid !== undefined && pid > 0) this.#pids.add(pid)
  }

  start (file: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options })
    this.add(child.pid)
    // A test that fails before reading must not leave an unhandled error behind.
    child.on('error', () => {})
    return child
  }

  killAll (): void {
    for (const pid of this.#pids) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
    this.#pids.clear()
    for (const runId of this.#runIds) killRunProcesses({ runId }, 'SIGKILL')
    this.#runIds.clear()
  }
}

/** The first stdout line of `child`, or a rejection after `ms`. */
export async function firstLine (child: ChildProcess, ms = 10_000): Promise<string> {
  const stdout = child.stdout
  if (stdout === null) throw new Error('child has no stdout pipe')
  return await new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => reject(new Error(`no line within ${ms} ms; got ${JSON.stringify(buffered)}`)), ms)
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const nl = buffered.indexOf('\n')
      if (nl === -1) return
      clearTimeout(timer)
      resolve(buffered.slice(0, nl))
    })
    child.once('exit', () => setTimeout(() => reject(new Error(`exited before a line; got ${JSON.stringify(buffered)}`)), 50))
  })
}

/** Running, as opposed to gone or a zombie nobody reaps (PID 1 here does not reap). */
export const isAlive = (pid: number): boolean => !isDeadOrZombie(pid)

export { waitFor }

/** Clock ticks since boot, from /proc/uptime: brackets a process's start time independently of stat. */
export function uptimeTicks (ticksPerSecond: number): number {
  const seconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  return seconds * ticksPerSecond
}
