// Terminal styling for one output stream: colours and the tool glyph only where that stream is a
// terminal (node's styleText also honours NO_COLOR and FORCE_COLOR), plain text in pipes and files.
import { styleText } from 'node:util'
import type { Writable } from 'node:stream'

export interface Style {
  readonly tty: boolean
  dim (text: string): string
  bold (text: string): string
  green (text: string): string
  red (text: string): string
  yellow (text: string): string
  /** Marks the start of a tool call; ⚙ renders one or two cells wide depending on the terminal, so pipes get ASCII. */
  readonly toolMark: string
}

export function createStyle (stream: Writable & { isTTY?: boolean }): Style {
  const paint = (format: Parameters<typeof styleText>[0]) => (text: string): string => styleText(format, text, { stream })
  const tty = stream.isTTY === true
  return {
    tty,
    dim: paint('dim'),
    bold: paint('bold'),
    green: paint('green'),
    red: paint('red'),
    yellow: paint('yellow'),
    toolMark: tty ? '⚙' : '>'
  }
}

/**
 * Agent text on its way to a terminal: escape sequences and other control characters are dropped so
 * output the agent copied from a file or a web page cannot move the cursor, retitle the window or
 * hide lines. Newlines and tabs stay.
 */
export function terminalSafe (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '')
}

/** A one-line summary (tool command, path, error) for any stream: controls and newlines become spaces. */
export function oneLine (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ').trim()
}
