// Splits one pipe's byte chunks into lines with a hard cap per line, so an agent that writes a gigabyte
// without a newline costs at most `maxLineBytes` of memory. The excess of an over-long line is counted
// and dropped; the line itself is still delivered (its head), so the pipe keeps flowing.

/** Large enough for any stream-json line Claude writes in practice (a Read result is capped well below). */
export const MAX_LINE_BYTES = 1024 * 1024

export interface SplitLine {
  /** Decoded as UTF-8, without the newline (and without a trailing "\r"). */
  line: string
  /** Bytes this line took on the pipe: kept, dropped and the newline. */
  rawBytes: number
  /** Bytes beyond `maxLineBytes` that were dropped from this line. */
  dropped: number
}

export class LineSplitter {
  readonly #max: number
  readonly #onLine: (line: SplitLine) => void
  #pieces: Buffer[] = []
  #kept = 0
  #dropped = 0

  constructor (onLine: (line: SplitLine) => void, maxLineBytes = MAX_LINE_BYTES) {
    this.#onLine = onLine
    this.#max = maxLineBytes
  }

  push (bytes: Uint8Array): void {
    // A Buffer view (no copy): its indexOf is a memchr, a plain Uint8Array's is a JS loop.
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start)
      if (newline === -1) {
        this.#append(chunk.subarray(start))
        return
      }
      if (this.#kept === 0 && this.#dropped === 0 && newline - start <= this.#max) {
        // The whole line is in this chunk: decoded straight from it. Copying it into a piece and
        // joining the pieces first made two more buffers per line, most of what a flood of output
        // allocated here.
        this.#deliver(chunk.toString('utf8', start, newline), newline - start + 1, 0)
      } else {
        this.#append(chunk.subarray(start, newline))
        this.#flush(1)
      }
      start = newline + 1
    }
  }

  /** Delivers a last line that had no newline. */
  end (): void {
    if (this.#kept > 0 || this.#dropped > 0) this.#flush(0)
  }

  #append (part: Uint8Array): void {
    const room = this.#max - this.#kept
    const take = Math.min(room, part.length)
    // Copied, so a short tail does not keep a whole 64 KiB chunk alive until the line ends.
    if (take > 0) this.#pieces.push(Buffer.from(part.subarray(0, take)))
    this.#kept += take
    this.#dropped += part.length - take
  }

  #flush (newlineBytes: number): void {
    const line = Buffer.concat(this.#pieces, this.#kept).toString('utf8')
    const rawBytes = this.#kept + this.#dropped + newlineBytes
    const dropped = this.#dropped
    this.#pieces = []
    this.#kept = 0
    this.#dropped = 0
    this.#deliver(line, rawBytes, dropped)
  }

  #deliver (decoded: string, rawBytes: number, dropped: number): void {
    const line = decoded.endsWith('\r') ? decoded.slice(0, -1) : decoded
    this.#onLine({ line, rawBytes, dropped })
  }
}
