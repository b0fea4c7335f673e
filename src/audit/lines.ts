// Reads a log file line by line in large chunks, so verifying a 64 MiB file never holds it whole.
import { closeSync, openSync, readSync } from 'node:fs'

const CHUNK = 1024 * 1024

export interface Line {
  /** 1-based. */
  readonly number: number
  /** The line without its newline; only valid until the next line is read. */
  readonly bytes: Buffer
  /** False for a last line with no newline after it (a torn write or a cut file). */
  readonly terminated: boolean
}

export function * readLines (path: string): Generator<Line> {
  const fd = openSync(path, 'r')
  try {
    const chunk = Buffer.allocUnsafe(CHUNK)
    let carry = Buffer.alloc(0)
    let number = 0
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, null)
      if (n === 0) break
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n)
      let start = 0
      for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
        yield { number: ++number, bytes: data.subarray(start, nl), terminated: true }
        start = nl + 1
      }
      // Copied: `chunk` is overwritten by the next read.
      carry = Buffer.from(data.subarray(start))
    }
    if (carry.length > 0) yield { number: ++number, bytes: carry, terminated: false }
  } finally {
    closeSync(fd)
  }
}
