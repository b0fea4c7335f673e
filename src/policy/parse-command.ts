// Splits normalised request text into a slash command and its arguments.
// Leading whitespace before the slash is ignored: chat clients and templates add it, and a user
// who typed " /deploy prod" meant the command.

export type ParsedText =
  /** Text without a leading slash: all of it is arguments for the caller's default command. */
  | { slash: false, args: string }
  /** `name` as typed (not yet folded; empty for "/" or "/ foo"), `args` trimmed. */
  | { slash: true, name: string, args: string }

const LEADING_WHITESPACE = /^\s+/u
const WHITESPACE = /\s/u

/** `agentText` must come from normalizeText, so the slash and the spaces are already canonical. */
export function parseCommandText (agentText: string): ParsedText {
  const text = agentText.replace(LEADING_WHITESPACE, '')
  if (!text.startsWith('/')) return { slash: false, args: text.trimEnd() }
  const end = text.search(WHITESPACE)
  if (end === -1) return { slash: true, name: text.slice(1), args: '' }
  return { slash: true, name: text.slice(1, end), args: text.slice(end).trim() }
}
