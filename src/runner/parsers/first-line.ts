// A tool's output or error reduced to a short tool_end summary.
import { oneLine } from '../tool-summary.ts'

/** Only the head is looked at: a tool's output can hold a whole file. */
const HEAD_CHARS = 4096

/** The first non-empty line of `text` as one short line; '' when there is none. */
export function firstLine (text: unknown): string {
  if (typeof text !== 'string') return ''
  const line = text.slice(0, HEAD_CHARS).split('\n').find((l) => l.trim() !== '')
  return line === undefined ? '' : oneLine(line)
}
