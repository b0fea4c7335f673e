// Slack sends message text in its own markup: `&`, `<` and `>` typed by the user arrive as
// entities, and everything between `<` and `>` is a mention, channel, special word or link. The
// agent should see what the user typed; the user's Slack should show our text literally, which
// means escaping the same three characters on the way out (otherwise agent output holding
// `<!channel>` would notify a whole channel).

// `[^<>]` stops at the next bracket, so each `<` scans at most to the next one: linear time.
const MARKUP = /<([^<>]*)>/g
const ENTITY = /&(amp|lt|gt);/g
const DECODED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>' }

export interface ReadOptions {
  /** Remove user mentions (`<@U…>`) instead of showing them as `@name`: they address the bot. */
  dropMentions: boolean
}

/** The text as the user typed it, Slack's markup resolved, trimmed. */
export function readSlackText (text: string, opts: ReadOptions): string {
  const resolved = text.replace(MARKUP, (_all, inner: string) => resolveMarkup(inner, opts))
  // One pass, so `&amp;lt;` becomes the `&lt;` the user typed, not `<`.
  return resolved.replace(ENTITY, (_all, name: string) => DECODED[name] ?? '').trim()
}

function resolveMarkup (inner: string, opts: ReadOptions): string {
  const bar = inner.indexOf('|')
  const target = bar === -1 ? inner : inner.slice(0, bar)
  const label = bar === -1 ? '' : inner.slice(bar + 1)
  switch (target[0]) {
    case '@':
      if (opts.dropMentions) return ''
      return label !== '' ? `@${label.replace(/^@/, '')}` : target
    case '#':
      return label !== '' ? `#${label}` : target
    case '!':
      // <!here>, <!subteam^S1|@devs>, <!date^…|fallback>: the label is what Slack displays.
      return label !== '' ? label : `@${target.slice(1).split('^')[0] ?? ''}`
    default:
      // A link: the agent needs the address, not the label.
      return target.startsWith('mailto:') ? target.slice('mailto:'.length) : target
  }
}

/** Text for Slack to show literally: only these three characters are markup (Slack's escaping rules). */
export function escapeSlackText (text: string): string {
  return text.replace(/[&<>]/g, (c) => c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;')
}
