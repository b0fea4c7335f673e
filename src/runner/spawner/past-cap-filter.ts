// One pipe's output after the gateway stopped keeping it (the run's `max_output_bytes` is reached).
// Relaying every further byte to the gateway only for it to be counted and dropped there cost the
// gateway's event loop tens of milliseconds at a time under a flood (other runs' events waited) and
// hundreds of megabytes of garbage; here, in the spawner, a chunk that holds nothing wanted costs a
// search and a count.
//
// Still relayed, whole and in order: lines containing one of the profile's markers (a final report, a
// permission question the agent waits on), and the last lines before the pipe ends (the stderr tail
// quoted in errors, a closing line). Everything else is counted as skipped, so the gateway's
// dropped-bytes figure stays exact. Runs in the spawner: Node's modules only.

const NEWLINE = 0x0a

export interface PastCapOptions {
  /** Substrings that mark a line still wanted (compact JSON, as the agent CLIs write it). */
  keep: readonly string[]
  /** The bytes relayed so far did not end with a newline: the rest of that line goes too (bounded). */
  midLine: boolean
  /** How much of the last lines is relayed when the pipe ends. */
  tailBytes: number
  /** Longer lines are skipped whole (the gateway would have cut them, so no parser could read them). */
  lineBytes: number
}

export class PastCapFilter {
  readonly #keep: Buffer[]
  readonly #tailMax: number
  readonly #lineMax: number
  /** Relaying the rest of the line that was in progress when the cap came; how much of it so far. */
  #finishing: number | null
  /** The start of an incomplete line, at most `lineMax` bytes. */
  #partial: Buffer | null = null
  /** Skipping an over-long line until its newline. */
  #dropLine = false
  /** Complete lines not relayed, newest last; bounded by `tailMax` (plus the line that crossed it). */
  #tail: Buffer[] = []
  #tailBytes = 0
  #skipped = 0

  constructor (opts: PastCapOptions) {
    this.#keep = opts.keep.filter((k) => k !== '').map((k) => Buffer.from(k, 'utf8'))
    this.#tailMax = opts.tailBytes
    this.#lineMax = opts.lineBytes
    this.#finishing = opts.midLine ? 0 : null
  }

  /** Bytes skipped since the last call. */
  takeSkipped (): number {
    const n = this.#skipped
    this.#skipped = 0
    return n
  }

  get pendingSkipped (): number {
    return this.#skipped
  }

  /** What of `chunk` to relay now, in order (often nothing). */
  push (chunk: Buffer): Buffer[] {
    const out: Buffer[] = []
    let buf = chunk
    if (this.#finishing !== null) {
      const newline = buf.indexOf(NEWLINE)
      const head = newline === -1 ? buf.length : newline
      const take = Math.min(head, this.#lineMax - this.#finishing)
      this.#finishing += take
      this.#skipped += head - take
      if (newline === -1) {
        if (take > 0) out.push(buf.subarray(0, take))
        return out
      }
      out.push(take === head ? buf.subarray(0, head + 1) : Buffer.concat([buf.subarray(0, take), Buffer.of(NEWLINE)]))
      this.#finishing = null
      buf = buf.subarray(newline + 1)
    }
    if (this.#dropLine) {
      const newline = buf.indexOf(NEWLINE)
      this.#skipped += newline === -1 ? buf.length : newline + 1
      if (newline === -1) return out
      this.#dropLine = false
      buf = buf.subarray(newline + 1)
    }
    if (buf.length === 0) return out
    if (this.#partial !== null) {
      buf = Buffer.concat([this.#partial, buf])
      this.#partial = null
    }
    const lastNewline = buf.lastIndexOf(NEWLINE)
    if (lastNewline !== -1) this.#lines(buf.subarray(0, lastNewline + 1), out)
    const rest = buf.subarray(lastNewline + 1)
    if (rest.length > this.#lineMax) {
      // The tail must stay the end of the output, without a gap: what came before goes too.
      this.#skipped += rest.length
      this.#dropTail()
      this.#dropLine = true
    } else if (rest.length > 0) {
      // A copy: the incomplete line must not keep a whole read buffer alive.
      this.#partial = Buffer.from(rest)
    }
    return out
  }

  /** The pipe ended: the last lines (and an unfinished one) go now. */
  end (): Buffer[] {
    const out = this.#tail
    if (this.#partial !== null) out.push(this.#partial)
    this.#tail = []
    this.#tailBytes = 0
    this.#partial = null
    return out
  }

  /** Complete lines (`lines` ends with a newline): the marked ones are relayed, the rest feed the tail. */
  #lines (lines: Buffer, out: Buffer[]): void {
    let from = 0
    while (from < lines.length) {
      const hit = this.#findMarker(lines, from)
      if (hit === -1) break
      const start = lines.lastIndexOf(NEWLINE, hit) + 1
      const end = lines.indexOf(NEWLINE, hit) + 1
      // Lines before a relayed one can no longer be relayed in order: they are skipped.
      this.#skipped += start - from
      this.#dropTail()
      if (end - start - 1 > this.#lineMax) this.#skipped += end - start
      else out.push(lines.subarray(start, end))
      from = end
    }
    this.#toTail(lines.subarray(from))
  }

  #dropTail (): void {
    this.#skipped += this.#tailBytes
    this.#tail = []
    this.#tailBytes = 0
  }

  #findMarker (lines: Buffer, from: number): number {
    let first = -1
    for (const marker of this.#keep) {
      const at = lines.indexOf(marker, from)
      if (at !== -1 && (first === -1 || at < first)) first = at
    }
    return first
  }

  #toTail (lines: Buffer): void {
    if (lines.length === 0) return
    let kept = lines
    if (kept.length > this.#tailMax) {
      // Start at a line boundary within the last `tailMax` bytes (nothing, if the last line is longer).
      const start = kept.indexOf(NEWLINE, kept.length - this.#tailMax - 1) + 1
      this.#skipped += start
      this.#dropTail()
      kept = kept.subarray(start)
    }
    if (kept.length === 0) return
    this.#tail.push(Buffer.from(kept))
    this.#tailBytes += kept.length
    while (this.#tail.length > 1 && this.#tailBytes > this.#tailMax) {
      const first = this.#tail.shift() as Buffer
      this.#tailBytes -= first.length
      this.#skipped += first.length
    }
  }
}
