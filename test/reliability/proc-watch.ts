// What /proc says about a gateway process over a long test: memory with its kernel-kept peak, open
// descriptors, zombie children, and the trend of a series of samples. The gateway runs in its own
// process, so these measure it and not the test's clients.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

export const MIB = 1024 * 1024

export const inMiB = (bytes: number): string => (bytes / MIB).toFixed(1)

/** VmRSS and VmHWM (the peak RSS since the process started), in bytes. */
export function memoryOf (pid: number): { rss: number, hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: field('VmRSS'), hwm: field('VmHWM') }
}

export function openFds (pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** TCP sockets by inode, from /proc/net/tcp and tcp6: addresses as "hexaddr:hexport", state as hex. */
function tcpSockets (): Map<string, { local: string, remote: string, state: string }> {
  const sockets = new Map<string, { local: string, remote: string, state: string }>()
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try { text = readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length > 9) sockets.set(f[9]!, { local: f[1]!, remote: f[2]!, state: f[3]! })
    }
  }
  return sockets
}

function socketInodes (pid: number | 'self'): string[] {
  const inodes: string[] = []
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m !== null) inodes.push(m[1]!)
    } catch {}
  }
  return inodes
}

/**
 * Open descriptors of `pid`, not counting established connections whose other end this process
 * holds: an HTTP client keeps idle connections open for as long as the server allows (72 s here),
 * and those are the test's, not the gateway's. A connection the gateway failed to close is still
 * counted (its peer is gone, or it is not established).
 */
export function openFdsExceptOurs (pid: number): number {
  const sockets = tcpSockets()
  const ours = new Set(socketInodes('self'))
  const ourEnds = new Set([...ours].map((inode) => sockets.get(inode)).filter((s) => s !== undefined).map((s) => `${s.local}>${s.remote}`))
  let excluded = 0
  for (const inode of socketInodes(pid)) {
    const s = sockets.get(inode)
    // 01 is ESTABLISHED.
    if (s !== undefined && s.state === '01' && ourEnds.has(`${s.remote}>${s.local}`)) excluded++
  }
  return openFds(pid) - excluded
}

/** What the open descriptors are, by kind ("socket", "pipe", a file's path, …) and count. */
export function fdKinds (pid: number): Map<string, number> {
  const kinds = new Map<string, number>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string
    try { target = readlinkSync(`/proc/${pid}/fd/${fd}`) } catch { continue }
    const kind = target.replace(/^(socket|pipe|anon_inode):.*$/, '$1')
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
  }
  return kinds
}

/** The kinds whose counts differ between two fdKinds() readings, as `kind: before → after`. */
export function fdChanges (before: Map<string, number>, after: Map<string, number>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).map((k) => `${k}: ${before.get(k) ?? 0} → ${after.get(k) ?? 0}`)
}

/** Every process's state and parent, from /proc/<pid>/stat. */
function processTable (): Array<{ pid: number, ppid: number, state: string }> {
  const table: Array<{ pid: number, ppid: number, state: string }> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    let stat: string
    try { stat = readFileSync(`/proc/${entry}/stat`, 'latin1') } catch { continue }
    // "pid (comm) S ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    table.push({ pid: Number(entry), ppid: Number(ppid), state: state ?? '' })
  }
  return table
}

/**
 * Processes under `pid` (its children, theirs, …: the gateway starts agents through a spawner
 * process) that have exited but were never waited for (state Z).
 */
export function zombieDescendants (pid: number): number[] {
  const table = processTable()
  const below = new Set([pid])
  for (let grew = true; grew;) {
    grew = false
    for (const p of table) {
      if (!below.has(p.pid) && below.has(p.ppid)) { below.add(p.pid); grew = true }
    }
  }
  return table.filter((p) => p.state === 'Z' && p.pid !== pid && below.has(p.ppid)).map((p) => p.pid)
}

export interface RssSample { t: number, rss: number }

/**
 * Samples VmRSS every `everyMs` until stopped. The peak is the higher of the samples and VmHWM when
 * VmHWM rose while sampling (a peak between two samples), so it never under-reports.
 */
export function watchRss (pid: number, everyMs: number): { samples: RssSample[], stop: () => { base: number, peak: number, samples: RssSample[] } } {
  const start = memoryOf(pid)
  const samples: RssSample[] = [{ t: Date.now(), rss: start.rss }]
  const timer = setInterval(() => {
    try { samples.push({ t: Date.now(), rss: memoryOf(pid).rss }) } catch {}
  }, everyMs)
  return {
    samples,
    stop: () => {
      clearInterval(timer)
      let end = start
      try { end = memoryOf(pid) } catch {}
      samples.push({ t: Date.now(), rss: end.rss })
      const sampled = Math.max(...samples.map((s) => s.rss))
      return { base: start.rss, peak: end.hwm > start.hwm ? Math.max(end.hwm, sampled) : sampled, samples }
    }
  }
}

/** Least-squares line through (x, y): slope, intercept and the slope's standard error. */
export function leastSquares (points: ReadonlyArray<{ x: number, y: number }>): { slope: number, intercept: number, slopeError: number } {
  const n = points.length
  if (n < 3) return { slope: NaN, intercept: NaN, slopeError: NaN }
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  let sxx = 0
  let sxy = 0
  for (const p of points) {
    sxx += (p.x - mx) ** 2
    sxy += (p.x - mx) * (p.y - my)
  }
  const slope = sxy / sxx
  const intercept = my - slope * mx
  const residuals = points.reduce((s, p) => s + (p.y - (intercept + slope * p.x)) ** 2, 0)
  return { slope, intercept, slopeError: Math.sqrt(residuals / (n - 2) / sxx) }
}
