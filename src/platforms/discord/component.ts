// A button press (MESSAGE_COMPONENT). A press on a permission question's button becomes `/allow
// <id>` or `/deny <id>` from the user who pressed it, in the channel of the question, answered with
// the press's own interaction token; any other component is acknowledged without changing its message.
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { isObject, type Json } from './fields.ts'
import { readInteraction } from './interaction.ts'
import { jsonAnswer } from './json-answer.ts'
import { permissionCommand } from '../permission-button.ts'

const BUTTON = 2

export const COMPONENT_IGNORED: ParseResult = { kind: 'ignore', reason: 'component', answer: jsonAnswer({ type: 6 }) }

/** The command a press stands for, or null when it is not a press of one of our buttons. */
export function pressedCommand (interaction: Json): string | null {
  const data = interaction.data
  return isObject(data) && data.component_type === BUTTON ? permissionCommand(data.custom_id) : null
}

export function readComponent (interaction: Json, req: InboundRequest): ParseResult {
  const text = pressedCommand(interaction)
  if (text === null) return COMPONENT_IGNORED
  const base = readInteraction(interaction, req)
  if ('invalid' in base) return { kind: 'invalid', reason: base.invalid }
  return {
    kind: 'messages',
    messages: [{ text, user: base.user, thread: base.channel, eventId: base.id, target: { ...base.target } }]
  }
}
