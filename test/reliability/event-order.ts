// What one event-stream client saw, checked frame by frame as it arrives (so a thousand clients of a
// long run cost counters, not copies): ids strictly increasing with no gap and no repeat, and every
// text event the very line test/fixtures/burst-agent.mjs printed at that point.
import type { SseFrame } from './sse-clients.ts'

/** `{"text":"` before the line, `\n"}` after it (the newline JSON-escaped). */
const TEXT_HEAD = 9
const TEXT_TAIL = 4

export interface OrderSummary {
  frames: number
  firstId: number | null
  lastId: number | null
  /** Ids skipped: the sum of the holes between consecutive ids. */
  gaps: number
  /** Frames whose id was not greater than the one before (repeats and reordering). */
  notIncreasing: number
  textLines: number
  /** Text events that were not the next burst line (wrong number, letters or length). */
  wrongLines: number
  resets: number
  /** The `result` event's run object, once it came. */
  result: Record<string, any> | null
  /** The frame after `result`, if any (there must be none). */
  afterResult: number
}

export class EventOrder {
  readonly #lineBytes: number
  #frames = 0
  #firstId: number | null = null
  #lastId: number | null = null
  #gaps = 0
  #notIncreasing = 0
  #textLines = 0
  #wrongLines = 0
  #nextLine = 1
  #resets = 0
  #result: Record<string, any> | null = null
  #afterResult = 0

  /** `lineBytes`: the burst agent's `bytes=`; `startLine`: the line the first text event must carry. */
  constructor (lineBytes: number, startLine = 1) {
    this.#lineBytes = lineBytes
    this.#nextLine = startLine
  }

  frame (f: SseFrame): void {
    this.#frames++
    if (this.#result !== null) this.#afterResult++
    if (f.id !== null) {
      if (this.#lastId !== null) {
        if (f.id <= this.#lastId) this.#notIncreasing++
        else this.#gaps += f.id - this.#lastId - 1
      }
      this.#firstId ??= f.id
      if (this.#lastId === null || f.id > this.#lastId) this.#lastId = f.id
    }
    if (f.event === 'text') this.#text(f.data)
    else if (f.event === 'result') this.#result = JSON.parse(f.data.toString('utf8')) as Record<string, any>
    else if (f.event === 'reset') {
      // The stream restarts at the oldest retained event: its line is known only when it comes.
      this.#resets++
      this.#nextLine = -1
    }
  }

  #text (data: Buffer): void {
    this.#textLines++
    const n = lineNumber(data)
    if (this.#nextLine === -1) this.#nextLine = n
    const ok = n === this.#nextLine &&
      data.length === TEXT_HEAD + this.#lineBytes + TEXT_TAIL &&
      data[TEXT_HEAD + 9] === 97 + (n % 26)
    if (!ok) this.#wrongLines++
    this.#nextLine = n + 1
  }

  summary (): OrderSummary {
    return {
      frames: this.#frames,
      firstId: this.#firstId,
      lastId: this.#lastId,
      gaps: this.#gaps,
      notIncreasing: this.#notIncreasing,
      textLines: this.#textLines,
      wrongLines: this.#wrongLines,
      resets: this.#resets,
      result: this.#result,
      afterResult: this.#afterResult
    }
  }
}

/** The burst line number a text event carries (-1 when it carries none). */
export function lineNumber (data: Buffer): number {
  let n = 0
  for (let i = TEXT_HEAD; i < TEXT_HEAD + 8; i++) {
    const d = (data[i] ?? 0) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}
