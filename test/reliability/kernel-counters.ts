// What the kernel knows about the gateway process that no client can see: the bytes it read through
// read() and friends (sockets included), the children it has right now, and how much loopback TCP may
// hold in flight between a client and the gateway.
import { readdirSync, readFileSync } from 'node:fs'

/** `rchar` of /proc/<pid>/io: every byte the process (all its threads) read from any descriptor. */
export function bytesRead (pid: number): number {
  const m = /^rchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))
  if (m === null) throw new Error(`no rchar in /proc/${pid}/io`)
  return Number(m[1])
}

/** Direct children of `pid` (of any of its threads), from /proc/<pid>/task/<tid>/children. */
export function childPids (pid: number): number[] {
  const out: number[] = []
  let threads: string[]
  try { threads = readdirSync(`/proc/${pid}/task`) } catch { return out }
  for (const tid of threads) {
    let text = ''
    try { text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8') } catch { continue }
    for (const child of text.trim().split(/\s+/)) if (child !== '') out.push(Number(child))
  }
  return out
}

/** Samples the number of children every `everyMs` until stop(), which returns the most seen at once. */
export function sampleChildren (pid: number, everyMs = 100): { stop: () => number } {
  let most = childPids(pid).length
  const timer = setInterval(() => { most = Math.max(most, childPids(pid).length) }, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(most, childPids(pid).length)
    }
  }
}

/** The host's TCP buffer maxima (third field of tcp_rmem and tcp_wmem). */
export function tcpBufferMax (): { rmem: number, wmem: number } {
  const third = (name: string): number => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2])
  return { rmem: third('tcp_rmem'), wmem: third('tcp_wmem') }
}

/** CPU time (user + system, all threads) the process has used, in milliseconds. */
export function cpuMs (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  // Fields after "pid (comm) ": utime and stime are the 12th and 13th, in clock ticks (USER_HZ, 100 on Linux).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
