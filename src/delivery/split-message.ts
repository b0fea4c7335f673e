// Splits a text into chat messages that each fit a platform's limit, without losing or changing a
// character: every part carries a verbatim slice of the text, and the slices join back to the
// whole. Cuts fall where a reader expects them (a line end, else a space, else a grapheme boundary,
// never inside a surrogate pair), and a cut inside a ``` block closes the block and reopens it in
// the next part, because chat clients render each message on its own and code is read there.
// Everything added to a slice (the fence repairs and the `(k/n)` marker) is counted in the limit.
import type { MessageLimits } from '../platforms/adapter.ts'

export type TextUnit = MessageLimits['unit']

export interface SplitOptions {
  /** Longest message, counted in `unit`. */
  chars: number
  unit: TextUnit
  /** Sent instead of a blank text: platforms refuse empty messages. */
  placeholder?: string
}

/** One message and the slice of the text it carries. */
export interface SplitPart {
  text: string
  /** `text.slice(start, end)` of the original is inside `text`, unchanged. */
  start: number
  end: number
}

/** A slice of the text and the fence repairs its message needs. */
export interface Chunk {
  start: number
  end: number
  /** The fence line repeated on top because the slice starts inside a code block, or null. */
  reopen: string | null
  /** The fence that closes the block the slice ends inside, or null. */
  close: string | null
}

interface OpenFence {
  /** The opening line as it is repeated: fence and info string (```ts). */
  reopen: string
  /** Backticks or tildes that close it: the same character, as many. */
  close: string
}

interface FenceLine {
  start: number
  /** After its newline. */
  end: number
  kind: 'open' | 'close'
  /** The block open after this line, or null. */
  after: OpenFence | null
}

interface FenceMap {
  /** The block open at index `at` (a cut inside a fence line counts as before that line). */
  openAt (at: number): OpenFence | null
  /** The fence line that starts at `at`, or undefined. */
  lineAt (at: number): FenceLine | undefined
  /** The fence line that `at` falls strictly inside, or undefined. */
  lineAround (at: number): FenceLine | undefined
}

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' })
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/
/** Room the fence repairs of one message may take, as a share of the message. */
const REPAIR_SHARE = 4

function isHighSurrogate (code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function isLowSurrogate (code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/** Code units of the character starting at `i`: 2 for a valid surrogate pair, else 1. */
function widthAt (text: string, i: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1
}

/** Length of `text` as the platform counts it. */
export function measure (text: string, unit: TextUnit): number {
  if (unit === 'utf16') return text.length
  let pairs = 0
  for (let i = 0; i < text.length - 1; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) {
      pairs++
      i++
    }
  }
  return text.length - pairs
}

/** The largest end such that text[start, end) fits `budget`, never inside a surrogate pair. */
function fitForward (text: string, start: number, budget: number, unit: TextUnit): number {
  let i = start
  let used = 0
  while (i < text.length) {
    const width = widthAt(text, i)
    used += unit === 'utf16' ? width : 1
    if (used > budget) break
    i += width
  }
  return i
}

/** The smallest start such that text[start, end) fits `budget`, never inside a surrogate pair. */
export function fitBackward (text: string, end: number, budget: number, unit: TextUnit): number {
  let i = end
  let used = 0
  while (i > 0) {
    const width = i >= 2 && isLowSurrogate(text.charCodeAt(i - 1)) && isHighSurrogate(text.charCodeAt(i - 2)) ? 2 : 1
    used += unit === 'utf16' ? width : 1
    if (used > budget) break
    i -= width
  }
  return i
}

/** True when a cut at `at` keeps every user-perceived character whole. */
export function isGraphemeBoundary (text: string, at: number): boolean {
  if (at <= 0 || at >= text.length) return true
  if (isLowSurrogate(text.charCodeAt(at)) && isHighSurrogate(text.charCodeAt(at - 1))) return false
  if (text.charCodeAt(at - 1) === 0x0a) return true
  const probe = text.slice(Math.max(0, at - 64), Math.min(text.length, at + 2))
  const offset = at - Math.max(0, at - 64)
  return GRAPHEMES.segment(probe).containing(offset)?.index === offset
}

/**
 * The code blocks of `text`, CommonMark-style: ``` or ~~~ fences of 3 or more, up to 3 spaces in.
 * Lines starting after `until` are not read; answers about later indexes are then wrong.
 */
export function mapFences (text: string, until = text.length): FenceMap {
  const lines: FenceLine[] = []
  let open: (OpenFence & { char: string, length: number }) | null = null
  for (let start = 0; start < text.length && start <= until;) {
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline + 1
    if (mayBeFence(text, start)) {
      const line = text.slice(start, newline === -1 ? text.length : newline).replace(/\r$/, '')
      if (open === null) {
        const m = FENCE_OPEN.exec(line)
        if (m !== null && !(m[1]!.startsWith('`') && m[2]!.includes('`'))) {
          const fence = m[1]!
          open = { reopen: fence + m[2]!.trim(), close: fence, char: fence[0]!, length: fence.length }
          lines.push({ start, end, kind: 'open', after: { reopen: open.reopen, close: open.close } })
        }
      } else {
        const m = FENCE_CLOSE.exec(line)
        if (m !== null && m[1]![0] === open.char && m[1]!.length >= open.length) {
          open = null
          lines.push({ start, end, kind: 'close', after: null })
        }
      }
    }
    start = end
  }
  const byStart = new Map(lines.map((l) => [l.start, l]))
  /** Index of the last fence line starting before `at`, or -1. */
  const lastBefore = (at: number): number => {
    let lo = 0
    let hi = lines.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (lines[mid]!.start < at) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found
  }
  return {
    openAt (at) {
      let i = lastBefore(at)
      if (i !== -1 && lines[i]!.end > at) i--
      return i === -1 ? null : lines[i]!.after
    },
    lineAt: (at) => byStart.get(at),
    lineAround (at) {
      const i = lastBefore(at)
      return i !== -1 && lines[i]!.end > at ? lines[i] : undefined
    }
  }
}

/** Cheap pre-check before a line is sliced: at most 3 spaces, then a backtick or tilde. */
function mayBeFence (text: string, start: number): boolean {
  for (let i = start; i < start + 4 && i < text.length; i++) {
    const c = text[i]
    if (c === '`' || c === '~') return true
    if (c !== ' ') return false
  }
  return false
}

/**
 * Where the slice starting at `start` ends, given `budget` units for the slice itself. Prefers the
 * last line end, then the last space, in the second half of the window; then any line end or space;
 * then the last grapheme boundary. A line end that would leave a fence's opening line alone at the
 * bottom, or its closing line alone at the top of the next part, is passed over when another exists.
 */
function chooseCut (text: string, start: number, budget: number, unit: TextUnit, fences: FenceMap): number {
  const end = fitForward(text, start, budget, unit)
  if (end >= text.length) return text.length
  // A budget too small for the next character still moves on by one: the caller keeps budgets ≥ 2.
  if (end === start) return start + widthAt(text, start)
  const half = start + Math.floor((end - start) / 2)
  // The fence line ending at the cut holds the cut's newline strictly inside it.
  const awkward = (cut: number): boolean => fences.lineAround(cut - 1)?.kind === 'open' || fences.lineAt(cut)?.kind === 'close'
  // Scans stay inside the window: lastIndexOf would run on to the start of a text with no newline.
  const lineEnd = (floor: number, tidy: boolean): number => {
    for (let i = end - 1; i >= floor && i >= start; i--) {
      if (text.charCodeAt(i) === 0x0a && (!tidy || !awkward(i + 1))) return i + 1
    }
    return -1
  }
  const space = (floor: number): number => {
    for (let i = end - 1; i >= floor && i >= start; i--) {
      const c = text[i]
      if (c !== ' ' && c !== '\t' && c !== '\u3000') continue
      const cut = i + 1
      if (!isGraphemeBoundary(text, cut)) continue
      const inFence = fences.lineAround(cut)
      if (inFence !== undefined) {
        if (inFence.start > start) return inFence.start
        continue
      }
      return cut
    }
    return -1
  }
  for (const cut of [lineEnd(half, true), space(half), lineEnd(start, true), lineEnd(start, false), space(start)]) {
    if (cut > start) return cut
  }
  return hardCut(text, start, end, fences)
}

/** The last grapheme boundary at or before `end`, moved before a fence line it would fall inside. */
function hardCut (text: string, start: number, end: number, fences: FenceMap): number {
  const probe = text.slice(start, Math.min(text.length, end + 2))
  const segment = GRAPHEMES.segment(probe).containing(end - start)
  // One grapheme longer than the whole budget (a pile of combining marks) is cut at a code point.
  const cut = segment !== undefined && segment.index > 0 ? start + segment.index : end
  const inFence = fences.lineAround(cut)
  return inFence !== undefined && inFence.start > start ? inFence.start : cut
}

export interface CutOptions extends SplitOptions {
  /** Where to begin; 0 by default. */
  from?: number
  /** Stop after this many slices. */
  maxChunks?: number
  /** Units kept free in every message for what is appended after the slice (marker, note). */
  reserve?: number
}

/** Cuts `text` into slices whose messages, with their fence repairs and `reserve`, fit `chars`. */
export function cutChunks (text: string, opts: CutOptions): { chunks: Chunk[], end: number } {
  const { unit } = opts
  const room = opts.chars - (opts.reserve ?? 0)
  if (room < 2) throw new RangeError(`a message limit of ${opts.chars} leaves no room for text`)
  // A cut never looks further than its budget, at most two code units per unit counted.
  const fences = mapFences(text, (opts.from ?? 0) + (opts.maxChunks ?? Infinity) * opts.chars * 2)
  const repairable = (fence: OpenFence | null): fence is OpenFence =>
    fence !== null && (measure(fence.reopen, unit) + measure(fence.close, unit) + 2) * REPAIR_SHARE <= room
  const chunks: Chunk[] = []
  let start = opts.from ?? 0
  while (start < text.length && chunks.length < (opts.maxChunks ?? Infinity)) {
    const atStart = fences.openAt(start)
    const reopen = repairable(atStart) ? atStart.reopen : null
    const base = room - (reopen === null ? 0 : measure(reopen, unit) + 1)
    let chunk: Chunk | null = null
    // A slice that ends inside a block needs its closing fence too: cut again, leaving room for it.
    for (let budget = base; chunk === null; ) {
      const end = chooseCut(text, start, budget, unit, fences)
      const atEnd = end < text.length ? fences.openAt(end) : null
      const close = repairable(atEnd) ? atEnd.close : null
      const closeCost = close === null ? 0 : measure(close, unit) + 1
      if (closeCost === 0 || measure(text.slice(start, end), unit) + closeCost <= base) {
        chunk = { start, end, reopen, close }
      } else if (Math.min(budget - 1, base - closeCost) >= base / 2) {
        budget = Math.min(budget - 1, base - closeCost)
      } else {
        chunk = { start, end: chooseCut(text, start, base, unit, fences), reopen, close: null }
      }
    }
    chunks.push(chunk)
    start = chunk.end
  }
  return { chunks, end: start }
}

/** The message for a slice: reopened fence, the slice verbatim, closing fence, then `suffix` on its own line. */
export function renderChunk (text: string, chunk: Chunk, suffix: string | null): string {
  const body = text.slice(chunk.start, chunk.end)
  let out = chunk.reopen === null ? body : chunk.reopen + '\n' + body
  if (chunk.close !== null) out += (out.endsWith('\n') ? '' : '\n') + chunk.close
  // Always a newline of our own before the suffix, so the slice's own last newline stays visible.
  return suffix === null ? out : out + '\n' + suffix
}

export function partMarker (index: number, total: number): string {
  return `(${index}/${total})`
}

/** Units a marker of up to `digits`-digit numbers takes, with its newline. */
export function markerReserve (digits: number): number {
  return 1 + partMarker(10 ** digits - 1, 10 ** digits - 1).length
}

/** True for a text that would make an empty message. */
export function isBlank (text: string): boolean {
  return text.trim() === ''
}

/** The messages for `text`, each with the slice it carries. */
export function splitMessageParts (text: string, opts: SplitOptions): SplitPart[] {
  if (isBlank(text)) {
    const placeholder = opts.placeholder ?? '(empty)'
    return [{ text: placeholder, start: 0, end: text.length }]
  }
  const one = cutChunks(text, { ...opts, maxChunks: 1 })
  if (one.end === text.length) return one.chunks.map((c) => ({ text: renderChunk(text, c, null), start: c.start, end: c.end }))
  // The marker's width depends on how many parts there are, which depends on the marker's width:
  // cut again with the width the last count needs until the count agrees (twice, nearly always).
  for (let digits = 1; ; ) {
    const { chunks } = cutChunks(text, { ...opts, reserve: markerReserve(digits) })
    const needed = String(chunks.length).length
    if (needed > digits) {
      digits = needed
      continue
    }
    return chunks.map((c, i) => ({ text: renderChunk(text, c, partMarker(i + 1, chunks.length)), start: c.start, end: c.end }))
  }
}

/** `text` as messages of at most `chars` units each; more than one are marked `(k/n)`. */
export function splitMessage (text: string, opts: SplitOptions): string[] {
  return splitMessageParts(text, opts).map((p) => p.text)
}
