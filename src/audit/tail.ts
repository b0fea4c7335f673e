// Reading the end of a log file backwards, so start-up costs the same for a 1 KiB and a 64 MiB file.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

const CHUNK = 64 * 1024

/** Offset just past the last newline before `end` (0 when there is none). */
export function endOfLastLine (fd: number, end: number): number {
  let pos = end
  const buf = Buffer.alloc(CHUNK)
  while (pos > 0) {
    const len = Math.min(CHUNK, pos)
    readSync(fd, buf, 0, len, pos - len)
    const nl = buf.subarray(0, len).lastIndexOf(0x0a)
    if (nl >= 0) return pos - len + nl + 1
    pos -= len
  }
  return 0
}

/** The last complete line (without its newline) of the first `end` bytes, which must end in a newline; null when empty. */
export function lastLine (fd: number, end: number): Buffer | null {
  if (end === 0) return null
  const start = endOfLastLine(fd, end - 1)
  const line = Buffer.alloc(end - 1 - start)
  let done = 0
  while (done < line.length) done += readSync(fd, line, done, line.length - done, start + done)
  return line
}

/** The last complete line of the file at `path` (ignoring any unterminated tail); null when it has none. */
export function lastLineOfFile (path: string): Buffer | null {
  const fd = openSync(path, 'r')
  try {
    return lastLine(fd, endOfLastLine(fd, fstatSync(fd).size))
  } finally {
    closeSync(fd)
  }
}
