// In a group the user often addresses the bot: "@hookgate /status". LINE marks each mention with
// its position (UTF-16 code units, as JavaScript indexes strings) and `isSelf` for the bot, so the
// bot's own mentions are cut out and the text starts with what the user meant. Mentions of other
// people stay: they are part of what was said.
import { isIndex, isObject } from './fields.ts'

export type MentionResult = { ok: true, text: string } | { ok: false }

export function stripSelfMentions (text: string, mention: unknown): MentionResult {
  if (mention === undefined) return { ok: true, text }
  if (!isObject(mention) || !Array.isArray(mention.mentionees)) return { ok: false }
  const spans: Array<{ index: number, length: number }> = []
  for (const m of mention.mentionees) {
    if (!isObject(m) || typeof m.type !== 'string' || !isIndex(m.index) || !isIndex(m.length)) return { ok: false }
    // A span outside the text means we and LINE disagree on counting: stripping would cut words.
    if (m.index + m.length > text.length) return { ok: false }
    if (m.isSelf === true) spans.push({ index: m.index, length: m.length })
  }
  let out = text
  for (const span of spans.sort((a, b) => b.index - a.index)) {
    out = out.slice(0, span.index) + out.slice(span.index + span.length)
  }
  return { ok: true, text: out }
}
