// Records formatted for one write but not yet written: their lines, and the chain head they lead to.
// The log's own chain state moves to that head only once the write succeeded.
export interface FormattedLine {
  readonly line: string
  readonly hash: string
  /** UTF-8 length of `line`. */
  readonly bytes: number
}

/** One write's worth of lines (AuditLog's #appendAll): `seq` and `hash` are where the chain is once they are written. */
export class PendingLines {
  seq: number
  hash: string
  bytes = 0
  count = 0
  /** The newest lifecycle record among them (0: none). */
  durableSeq = 0
  #lines: string[] = []

  constructor (seq: number, hash: string) {
    this.seq = seq
    this.hash = hash
  }

  add (record: FormattedLine, durable: boolean): void {
    this.#lines.push(record.line)
    this.seq += 1
    this.hash = record.hash
    this.bytes += record.bytes
    this.count += 1
    if (durable) this.durableSeq = this.seq
  }

  /** The lines as one buffer, and empties the list (the chain head stays). */
  take (): Buffer {
    const data = Buffer.from(this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join(''))
    this.#lines = []
    this.bytes = 0
    this.count = 0
    return data
  }
}
