// Teams sends the message as HTML: the mention that triggered the webhook as `<at>Name</at>`,
// formatting as tags, and what the user typed literally (`<`, `&`) as entities. The agent gets the
// plain text: mentions dropped, tags dropped (line breaks kept), entities decoded, trimmed.
// A hand-written scanner rather than regular expressions: an unclosed `<at>` repeated through a
// 1 MiB body must stay linear.
import { decodeEntities } from './html-entities.ts'

const TAG_NAME = /^\/?\s*([a-zA-Z][a-zA-Z0-9]*)/
// Tags whose end is the end of a line in what the user sees.
const LINE_ENDS = new Set(['br', 'p', 'div', 'li', 'tr', 'pre', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'])

export function readActivityText (html: string): string {
  let out = ''
  let mentionDepth = 0
  let pos = 0
  while (pos < html.length) {
    const open = html.indexOf('<', pos)
    const close = open === -1 ? -1 : html.indexOf('>', open + 1)
    if (close === -1) {
      // No tag after this point (Teams escapes a literal `<`): the rest is text.
      if (mentionDepth === 0) out += html.slice(pos)
      break
    }
    if (mentionDepth === 0) out += html.slice(pos, open)
    const tag = html.slice(open + 1, close)
    const name = TAG_NAME.exec(tag)?.[1]?.toLowerCase()
    const closing = tag.startsWith('/')
    const selfClosing = tag.endsWith('/')
    if (name === 'at' && !selfClosing) {
      mentionDepth = closing ? Math.max(0, mentionDepth - 1) : mentionDepth + 1
    } else if (mentionDepth === 0 && name !== undefined && LINE_ENDS.has(name) && (closing || name === 'br')) {
      out += '\n'
    }
    pos = close + 1
  }
  return tidy(decodeEntities(out))
}

function tidy (text: string): string {
  // Line by line: a pattern like /[ \t]+\n/ backtracks quadratically over a long run of spaces.
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((line) => line.trimEnd())
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()
}
