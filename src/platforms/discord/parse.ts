// Reads a Discord interaction. Slash commands and presses of permission buttons
// run; PING, other buttons, modals and autocomplete are answered in the form Discord requires (it
// shows "interaction failed" otherwise) and start nothing.
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { isObject, type Json } from './fields.ts'
import { optionWords } from './options.ts'
import { commandText } from './command-text.ts'
import { COMPONENT_IGNORED, readComponent } from './component.ts'
import { readInteraction } from './interaction.ts'
import { readInteractionJson } from './interaction-json.ts'
import { jsonAnswer } from './json-answer.ts'

const PING = 1
const APPLICATION_COMMAND = 2
const MESSAGE_COMPONENT = 3
const AUTOCOMPLETE = 4
const MODAL_SUBMIT = 5

export function parseDiscord (req: InboundRequest): ParseResult {
  const interaction = readInteractionJson(req.rawBody)
  if (interaction === undefined) return { kind: 'invalid', reason: 'malformed_json' }
  if (!isObject(interaction)) return { kind: 'invalid', reason: 'not_an_interaction' }
  switch (interaction.type) {
    case PING:
      return { kind: 'ignore', reason: 'ping', answer: jsonAnswer({ type: 1 }) }
    case MESSAGE_COMPONENT:
      return readComponent(interaction, req)
    case MODAL_SUBMIT:
      // Deferred update: acknowledged, and the message with the button stays as it is.
      return COMPONENT_IGNORED
    case AUTOCOMPLETE:
      return { kind: 'ignore', reason: 'autocomplete', answer: jsonAnswer({ type: 8, data: { choices: [] } }) }
    case APPLICATION_COMMAND:
      return readCommand(interaction, req)
    default:
      return { kind: 'invalid', reason: 'bad_interaction_type' }
  }
}

function readCommand (interaction: Json, req: InboundRequest): ParseResult {
  const base = readInteraction(interaction, req)
  if ('invalid' in base) return { kind: 'invalid', reason: base.invalid }
  const data = interaction.data
  if (!isObject(data) || typeof data.name !== 'string' || data.name === '' || [...data.name].length > 32) {
    return { kind: 'invalid', reason: 'bad_command' }
  }
  const words = optionWords(data.options)
  if (words === null) return { kind: 'invalid', reason: 'bad_options' }

  return {
    kind: 'messages',
    messages: [{
      text: commandText(data.name, words, req.caller.commands ?? []),
      user: base.user,
      thread: base.channel,
      eventId: base.id,
      target: { ...base.target }
    }]
  }
}
