// The messages a result is delivered as, within the platform's message count: a chat is never
// flooded with dozens of parts, and nothing is cut silently either. When the split needs more
// messages than `maxMessages`, the last one carries as much more of the text as fits and a note
// saying how much was left out and where the whole result can be read.
import type { MessageLimits } from '../platforms/adapter.ts'
import { cutChunks, markerReserve, measure, partMarker, renderChunk, splitMessage } from './split-message.ts'

export interface ReadMore {
  /** Where the whole result can be read, or null when the gateway has no public URL. */
  link: string | null
  /** Named in the note instead of a link. */
  runId: string
}

export function planParts (text: string, limits: MessageLimits, more: ReadMore): string[] {
  const total = Math.max(1, limits.maxMessages)
  const reserve = total > 1 ? markerReserve(String(total).length) : 0
  // A cut that stops after `total` slices tells cheaply whether a 10 MB output needs the note.
  if (cutChunks(text, { ...limits, reserve, maxChunks: total }).end === text.length) {
    const parts = splitMessage(text, limits)
    if (parts.length <= total) return parts
  }
  const head = cutChunks(text, { ...limits, reserve, maxChunks: total - 1 })
  const messages = head.chunks.map((c, i) => renderChunk(text, c, partMarker(i + 1, total)))
  messages.push(lastMessage(text, head.end, limits, more, total))
  return messages
}

function lastMessage (text: string, from: number, limits: MessageLimits, more: ReadMore, total: number): string {
  const marker = total > 1 ? '\n' + partMarker(total, total) : ''
  // The note for everything after `from` is the longest it can be: less is left once more is shown.
  const reserve = 1 + measure(omissionNote(text.slice(from), more) + marker, limits.unit)
  if (limits.chars - reserve >= limits.chars / 4) {
    const { chunks: [chunk] } = cutChunks(text, { ...limits, from, reserve, maxChunks: 1 })
    const rest = text.slice(chunk!.end)
    if (rest === '') return renderChunk(text, chunk!, total > 1 ? partMarker(total, total) : null)
    return renderChunk(text, chunk!, omissionNote(rest, more) + marker)
  }
  // A limit too small for text and note together (never the case on a real platform): the note alone.
  const note = omissionNote(text.slice(from), more) + marker
  const { chunks: [first] } = cutChunks(note, { ...limits, maxChunks: 1 })
  return renderChunk(note, first!, null)
}

/** Says how much of `rest` is not shown and where to read it. */
export function omissionNote (rest: string, more: ReadMore): string {
  const chars = measure(rest, 'codepoint')
  let lines = rest.endsWith('\n') ? 0 : 1
  for (let at = rest.indexOf('\n'); at !== -1; at = rest.indexOf('\n', at + 1)) lines++
  const where = more.link !== null ? more.link : `run ${more.runId} (GET /v1/runs/${more.runId})`
  return `✂ ${count(chars, 'more character')} (${count(lines, 'line')}) not shown.\nFull result: ${where}`
}

function count (n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`
}
