// The kernel's process table, read from /proc. A pid alone names nothing for long (pids are reused),
// so every entry carries its start time in clock ticks since boot: (pid, startTicks, bootId) names one
// process for ever. Linux only: elsewhere there is no /proc, and every function here answers null,
// false or [] so that callers degrade to what they can do without it.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'

/** A stat line is a few hundred bytes: 52 numbers and a command name of at most 64 bytes. */
const STAT_BUFFER_BYTES = 4096

/** Who a pid is right now; `state` is the one-letter state of /proc/<pid>/stat (Z: zombie). */
export interface ProcessIdentity {
  pid: number
  pgid: number
  sid: number
  /** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
  startTicks: number
  bootId: string
  state: string
}

export interface ProcessEntry {
  pid: number
  ppid: number
  pgid: number
  sid: number
  startTicks: number
  state: string
}

/** Zombies (Z) and exiting tasks (X, x) cannot run, hold no environment and ignore every signal. */
export function isDead (entry: { state: string }): boolean {
  return entry.state === 'Z' || entry.state === 'X' || entry.state === 'x'
}

/**
 * Parses one /proc/<pid>/stat line. The command name (field 2) sits in parentheses and may itself hold
 * spaces, parentheses, digits or even a newline, so fields are counted from the *last* ")", after which
 * only numbers and the state letter follow. Null for anything malformed.
 */
export function parseStat (text: string): ProcessEntry | null {
  const open = text.indexOf(' (')
  const close = text.lastIndexOf(')')
  if (open <= 0 || close < open) return null
  const pid = toCount(text.slice(0, open))
  // After ")": field 3 (state) is fields[0], so field N is fields[N - 3].
  const fields = text.slice(close + 2).split(' ')
  const state = fields[0] ?? ''
  const ppid = toCount(fields[1])
  const pgid = toCount(fields[2])
  const sid = toCount(fields[3])
  const startTicks = toCount(fields[19])
  if (pid === null || ppid === null || pgid === null || sid === null || startTicks === null) return null
  if (!/^[A-Za-z]$/.test(state)) return null
  return { pid, ppid, pgid, sid, startTicks, state }
}

/** This boot's id, or null without /proc. Together with startTicks it makes a pid unambiguous. */
export function currentBootId (): string | null {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    return id === '' ? null : id
  } catch {
    return null
  }
}

/** Null when there is no such process (or no /proc). A zombie is returned, with state "Z". */
export function processIdentity (pid: number): ProcessIdentity | null {
  const entry = readEntry(pid)
  if (entry === null) return null
  const bootId = currentBootId()
  if (bootId === null) return null
  return { pid: entry.pid, pgid: entry.pgid, sid: entry.sid, startTicks: entry.startTicks, bootId, state: entry.state }
}

/**
 * Every process (thread groups, not threads) visible in /proc, zombies included with their state. A
 * process that exits while the table is read is simply missing. Empty without /proc.
 */
export function listProcesses (): ProcessEntry[] {
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return []
  }
  const entries: ProcessEntry[] = []
  // One buffer for the whole scan: half the cost of readFileSync per process (no fstat, no allocation).
  const buffer = Buffer.allocUnsafe(STAT_BUFFER_BYTES)
  for (const name of names) {
    if (!/^[1-9][0-9]*$/.test(name)) continue
    const entry = readEntry(Number(name), buffer)
    if (entry !== null) entries.push(entry)
  }
  return entries
}

/**
 * Whether the process's environment, as it was handed to its last exec (/proc/<pid>/environ, NUL
 * separated), holds exactly `name=value`. False when it cannot be read: gone, a zombie, a kernel
 * thread, or another user's process when we are not root.
 */
export function hasEnvMarker (pid: number, name: string, value: string): boolean {
  return envValues(pid, name)?.includes(value) ?? false
}

/**
 * Every value `name` has in the process's environment (an environment block may hold a name more
 * than once), or null when it cannot be read (see hasEnvMarker).
 */
export function envValues (pid: number, name: string): string[] | null {
  if (!isPid(pid)) return null
  let environ: Buffer
  try {
    environ = readFileSync(`/proc/${pid}/environ`)
  } catch {
    return null
  }
  const prefix = Buffer.from(`${name}=`)
  const values: string[] = []
  let start = 0
  while (start < environ.length) {
    const nul = environ.indexOf(0, start)
    const end = nul === -1 ? environ.length : nul
    if (end - start >= prefix.length && environ.subarray(start, start + prefix.length).equals(prefix)) {
      values.push(environ.toString('latin1', start + prefix.length, end))
    }
    start = end + 1
  }
  return values
}

function readEntry (pid: number, buffer: Buffer = Buffer.allocUnsafe(STAT_BUFFER_BYTES)): ProcessEntry | null {
  if (!isPid(pid)) return null
  let text: string
  try {
    const fd = openSync(`/proc/${pid}/stat`, 'r')
    try {
      const length = readSync(fd, buffer, 0, buffer.length, 0)
      // latin1 keeps one character per byte, whatever bytes the command name holds.
      text = buffer.toString('latin1', 0, length)
    } finally {
      closeSync(fd)
    }
  } catch {
    return null
  }
  const entry = parseStat(text)
  return entry !== null && entry.pid === pid ? entry : null
}

function isPid (pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0
}

function toCount (field: string | undefined): number | null {
  if (field === undefined || !/^[0-9]+$/.test(field)) return null
  const value = Number(field)
  return Number.isSafeInteger(value) ? value : null
}
