// The per-run output cap (`agent.max_output_bytes`): lines count against it in the order they arrive;
// once one does not fit, nothing more is emitted, but the pipes keep being read (a child blocked on a
// full pipe would never exit) and every byte from then on is counted as dropped.

export class OutputBudget {
  readonly #max: number
  #used = 0
  #dropped = 0

  constructor (maxBytes: number) {
    this.#max = maxBytes
  }

  /** Counts one line; true when its events may still be emitted. */
  admit (rawBytes: number): boolean {
    if (this.#dropped === 0 && this.#used + rawBytes <= this.#max) {
      this.#used += rawBytes
      return true
    }
    this.#dropped += rawBytes
    return false
  }

  /** Bytes dropped without being read as lines (the launcher skipped them past the cap). */
  skip (bytes: number): void {
    this.#dropped += bytes
  }

  get dropped (): number {
    return this.#dropped
  }

  /**
   * The final output, cut to the cap at a character boundary, with a marker saying how much was
   * dropped whenever anything was: the caller sees the answer is incomplete, not just short.
   * `shortBy`: bytes of it already left out before it got here (counted in the marker); `bytes`: its
   * length in UTF-8 when known (measuring a text joined from pieces copies it into one first).
   */
  finish (output: string, shortBy = 0, bytes = Buffer.byteLength(output, 'utf8')): { output: string, truncated: boolean } {
    let kept = output
    let cut = 0
    // Counting is cheap; encoding a 10 MiB answer only to find that it fits is not.
    if (bytes > this.#max) {
      const bytes = Buffer.from(output, 'utf8')
      let end = this.#max
      while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1 // not inside a UTF-8 sequence
      kept = bytes.subarray(0, end).toString('utf8')
      cut = bytes.length - end
    }
    if (this.#dropped === 0 && cut === 0 && shortBy === 0) return { output, truncated: false }
    const n = (this.#dropped > 0 ? this.#dropped : cut) + shortBy
    return { output: `${kept}${truncationMarker(n)}`, truncated: true }
  }
}

export function truncationMarker (droppedBytes: number): string {
  return `\n[hookgate: output truncated, ${droppedBytes} bytes dropped]`
}
