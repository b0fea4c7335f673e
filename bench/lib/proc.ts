// Readers for /proc: resident memory, CPU time and the process tree. Everything here is a snapshot;
// a process may vanish between two reads, so every reader treats a missing file as "gone".
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export interface ProcStat {
  pid: number
  ppid: number
  state: string
  /** utime + stime, in clock ticks. */
  ticks: number
}

/** Clock ticks per second (`getconf CLK_TCK`), the unit of utime and stime. */
export function clockTicksPerSecond (): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return Number.isFinite(value) && value > 0 ? value : 100
  } catch {
    return 100
  }
}

export function readStat (pid: number): ProcStat | null {
  let text: string
  try { text = readFileSync(`/proc/${pid}/stat`, 'latin1') } catch { return null }
  // "pid (comm) state ppid ..." — comm may hold spaces and parentheses, so fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // After comm: state(3) ppid(4) ... utime(14) stime(15), so index = field number - 3.
  return {
    pid,
    ppid: Number(fields[1]),
    state: fields[0] ?? '?',
    ticks: Number(fields[11]) + Number(fields[12])
  }
}

/** Resident set size in MiB (VmRSS), or null when the process is gone. */
export function readRssMiB (pid: number): number | null {
  let text: string
  try { text = readFileSync(`/proc/${pid}/status`, 'latin1') } catch { return null }
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text)
  return match === null ? null : Number(match[1]) / 1024
}

/** argv joined by spaces; empty for zombies and kernel threads. */
export function readCmdline (pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** Every live process's stat line, read once. */
export function allStats (): ProcStat[] {
  let pids: string[]
  try { pids = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)) } catch { return [] }
  const out: ProcStat[] = []
  for (const pid of pids) {
    const stat = readStat(Number(pid))
    if (stat !== null) out.push(stat)
  }
  return out
}

/**
 * The descendants of `root` (not `root` itself). `prune` stops the walk at a process: it and its
 * subtree are left out (used to skip agents and whatever they start).
 */
export function descendants (root: number, prune: (stat: ProcStat) => boolean = () => false, stats = allStats()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>()
  for (const stat of stats) {
    const siblings = byParent.get(stat.ppid)
    if (siblings === undefined) byParent.set(stat.ppid, [stat])
    else siblings.push(stat)
  }
  const out: ProcStat[] = []
  const pending = [root]
  while (pending.length > 0) {
    for (const child of byParent.get(pending.pop()!) ?? []) {
      if (prune(child)) continue
      out.push(child)
      pending.push(child.pid)
    }
  }
  return out
}
