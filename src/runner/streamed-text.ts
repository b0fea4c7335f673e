// The text an agent streamed in its text events, the run's output when the agent gives none of its
// own. A plain command's output is everything it printed (within the output cap). An agent that
// reports its answer (Claude, Codex, …) needs it only if it ends without a report: kept whole, it held
// every text event of a run alive until the run ended (20 MB for a run that streamed 20 MB, all of it
// moved to the collector's old generation), so then only its beginning is kept and the rest counted.

export class StreamedText {
  readonly #maxChars: number
  #text = ''
  #bytes = 0
  #droppedBytes = 0

  /** `maxChars`: how much to keep; Infinity keeps everything. */
  constructor (maxChars: number) {
    this.#maxChars = maxChars
  }

  add (piece: string): void {
    if (this.#droppedBytes === 0 && this.#text.length + piece.length <= this.#maxChars) {
      this.#text += piece
      this.#bytes += Buffer.byteLength(piece)
      return
    }
    // Once anything is dropped nothing more is kept: the text kept is a beginning, never pieces.
    let cut = this.#droppedBytes > 0 ? 0 : Math.max(0, this.#maxChars - this.#text.length)
    // Never half a surrogate pair: the kept text stays valid UTF-16.
    if (cut > 0 && isHighSurrogate(piece.charCodeAt(cut - 1))) cut -= 1
    if (cut > 0) {
      const kept = piece.slice(0, cut)
      this.#text += kept
      this.#bytes += Buffer.byteLength(kept)
    }
    this.#droppedBytes += Buffer.byteLength(cut > 0 ? piece.slice(cut) : piece)
  }

  get text (): string {
    return this.#text
  }

  /**
   * UTF-8 bytes of the text kept, counted piece by piece: measuring the joined text at the end would
   * first copy it into one flat string, 10 MiB for a long answer.
   */
  get bytes (): number {
    return this.#bytes
  }

  /** UTF-8 bytes of the text not kept. */
  get droppedBytes (): number {
    return this.#droppedBytes
  }
}

function isHighSurrogate (code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
