// The answer of CLIs that write whole messages (Codex, OpenCode): the messages in order, a blank line
// between two, as they went out in text events and as the report's output.

/** Put between two messages, which the CLIs write back to back. */
export const MESSAGE_SEPARATOR = '\n\n'

/**
 * Kept for the report only up to this many characters: the parser also reads past the output cap,
 * and the runner cuts the output to `max_output_bytes` (default 10 MiB) anyway.
 */
export const ANSWER_MAX_CHARS = 10 * 1024 * 1024

export interface AnswerText {
  /** Records one message; returns the text event's text (the separator included). '' adds nothing. */
  add (message: string): string
  value (): string
}

export function createAnswerText (): AnswerText {
  let text = ''
  let started = false
  return {
    add (message) {
      if (message === '') return ''
      const piece = started ? MESSAGE_SEPARATOR + message : message
      started = true
      if (text.length < ANSWER_MAX_CHARS) text += piece.slice(0, ANSWER_MAX_CHARS - text.length)
      return piece
    },
    value: () => text
  }
}
