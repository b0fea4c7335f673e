// The interaction response to a permission button press, chosen by what the gateway said:
// - a decision taken (notice): UPDATE_MESSAGE (7) edits the question in place, its text kept and the
//   outcome added, and removes the buttons, so everyone in the channel sees the question is settled
//   and nobody presses again;
// - a refusal (someone else's question, an expired one, a user not allowed): an ephemeral message
//   (4 with EPHEMERAL) that only the presser sees, leaving the question and its buttons for the
//   person it was meant for;
// - anything else: DEFERRED_UPDATE_MESSAGE (6), which ends the press and changes nothing.
// Results are never delivered with a press's token, so nothing needs a deferred answer to edit later.
import type { HttpAnswer, InboundRequest, Reaction } from '../adapter.ts'
import { pressedCommand } from './component.ts'
import { isObject, type Json } from './fields.ts'
import { readInteractionJson } from './interaction-json.ts'
import { jsonAnswer } from './json-answer.ts'
import { fitOneMessage } from './limits.ts'
import { NO_MENTIONS } from './no-mentions.ts'

const MESSAGE_COMPONENT = 3
const EPHEMERAL = 64

/** The answer when this request is a press of a permission button, else null. */
export function pressAnswer (reactions: Reaction[], req: InboundRequest): HttpAnswer | null {
  const interaction = readInteractionJson(req.rawBody)
  if (!isObject(interaction) || interaction.type !== MESSAGE_COMPONENT || pressedCommand(interaction) === null) return null
  const reaction = reactions[0]
  switch (reaction?.kind) {
    case 'notice': {
      const question = questionText(interaction)
      const content = question === null ? reaction.text : `${question}\n\n${reaction.text}`
      return jsonAnswer({ type: 7, data: { content: fitOneMessage(content), components: [], allowed_mentions: NO_MENTIONS } })
    }
    case 'refused':
      return jsonAnswer({ type: 4, data: { content: fitOneMessage(reaction.text.trim() === '' ? 'Refused.' : reaction.text), flags: EPHEMERAL, allowed_mentions: NO_MENTIONS } })
    default:
      return jsonAnswer({ type: 6 })
  }
}

/** The text of the message the button is on (our own question), or null when Discord sent none. */
function questionText (interaction: Json): string | null {
  const message = interaction.message
  return isObject(message) && typeof message.content === 'string' && message.content.trim() !== '' ? message.content : null
}
