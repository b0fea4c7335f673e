// The machine a run was measured on, printed above the tables and stored with the results.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism, release, tmpdir, totalmem } from 'node:os'
import { WEBHOOK } from './webhook-hooks.ts'
import { WRK } from './wrk.ts'

export interface Machine {
  cpu: string
  cores: number
  ramGiB: number
  kernel: string
  node: string
  /** File system of the temporary directory, where the servers' state (and durable writes) live. */
  tmpFs: string
  wrk: string | null
  webhook: string | null
  date: string
}

function cpuModel (): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

// "wrk debian/4.1.0-3+b2 [epoll] Copyright …" → "wrk debian/4.1.0-3+b2"
function firstLine (text: string): string {
  return (text.split('\n')[0] ?? '').replace(/\s+\[.*$/, '').trim()
}

function fileSystemOf (path: string): string {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', path], { encoding: 'utf8' }).trim() || 'unknown'
  } catch {
    return 'unknown'
  }
}

/** The first line a tool prints about its version, or null when it is not installed. */
function toolVersion (path: string, args: string[]): string | null {
  if (!existsSync(path)) return null
  try {
    // wrk prints its version in its usage text and exits 1, so the output is read either way.
    return firstLine(execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
  } catch (error) {
    const out = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`
    return firstLine(out) || 'installed'
  }
}

export function machine (): Machine {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    ramGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    kernel: release(),
    node: process.version,
    tmpFs: `${tmpdir()} on ${fileSystemOf(tmpdir())}`,
    wrk: toolVersion(WRK, ['--version']),
    webhook: toolVersion(WEBHOOK, ['-version']),
    date: new Date().toISOString()
  }
}
