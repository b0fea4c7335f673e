// Which of some runs the log records as accepted, reading backwards from the newest record until
// records are older than the oldest of those runs. After a crash, a run can be committed to the store
// a moment before its `accepted` line was written; recovery uses this to write the missing line, so
// the store and the log count the same runs. The cost is the records written since the oldest
// unfinished run was accepted, not the size of the log.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { listRotated, type LogLayout } from './files.ts'
import { endOfLastLine } from './tail.ts'

export function findAccepted (layout: LogLayout, runIds: ReadonlySet<string>, sinceMs: number): Set<string> {
  const found = new Set<string>()
  if (runIds.size === 0) return found
  const files = [layout.livePath, ...listRotated(layout).map((f) => f.path).reverse()]
  for (const path of files) {
    if (scanBackwards(path, (line) => {
      // Only the fields needed; lines were authenticated when written and are checked by `audit verify`.
      let record: { event?: unknown, run?: unknown, ts?: unknown }
      try { record = JSON.parse(line) as typeof record } catch { return true }
      if (record.event === 'accepted' && typeof record.run === 'string' && runIds.has(record.run)) found.add(record.run)
      const ts = typeof record.ts === 'string' ? Date.parse(record.ts) : NaN
      // A second of slack: a record's time is taken a moment after its run's creation time.
      return found.size < runIds.size && !(ts < sinceMs - 1000)
    })) continue
    break
  }
  return found
}

/** Calls `visit` with each complete line, newest first, while it returns true; false once it stopped early. */
function scanBackwards (path: string, visit: (line: string) => boolean): boolean {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return true
  }
  try {
    let end = fstatSync(fd).size
    // An unterminated tail (a torn write) is not a record.
    end = endOfLastLine(fd, end)
    while (end > 0) {
      const start = endOfLastLine(fd, end - 1)
      const buf = Buffer.alloc(end - 1 - start)
      let done = 0
      while (done < buf.length) done += readSync(fd, buf, done, buf.length - done, start + done)
      if (!visit(buf.toString('utf8'))) return false
      end = start
    }
    return true
  } finally {
    closeSync(fd)
  }
}
