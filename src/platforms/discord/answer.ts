// The interaction response, due within 3 s. A run is acknowledged as deferred (Discord shows
// "thinking…" until delivery replaces it); a built-in answers in place, and a refusal is ephemeral,
// so only the user who asked sees it. A permission button press has answers of its own (press-answer.ts).
import type { HttpAnswer, InboundRequest, Reaction } from '../adapter.ts'
import { jsonAnswer } from './json-answer.ts'
import { fitOneMessage } from './limits.ts'
import { NO_MENTIONS } from './no-mentions.ts'
import { pressAnswer } from './press-answer.ts'

const EPHEMERAL = 64

export function discordAnswer (reactions: Reaction[], req: InboundRequest): HttpAnswer {
  const press = pressAnswer(reactions, req)
  if (press !== null) return press
  // An interaction carries one command.
  const reaction = reactions[0]
  if (reaction === undefined) return message('Nothing to do.', EPHEMERAL)
  switch (reaction.kind) {
    case 'accepted':
    case 'replayed':
      return jsonAnswer({ type: 5 })
    case 'notice':
      return message(reaction.text)
    case 'refused':
      return message(reaction.text, EPHEMERAL)
    case 'finished':
      return message(reaction.parts[0] ?? '')
  }
}

function message (text: string, flags?: number): HttpAnswer {
  // Discord refuses empty content, and the interaction then fails for the user.
  const content = text.trim() === '' ? '(no output)' : fitOneMessage(text)
  return jsonAnswer({ type: 4, data: { content, allowed_mentions: NO_MENTIONS, ...(flags !== undefined ? { flags } : {}) } })
}
