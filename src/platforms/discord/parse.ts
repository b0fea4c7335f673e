// Reads a Discord interaction (platforms.md §8). Slash commands run; PING, buttons, modals and
// autocomplete are answered in the form Discord requires (it shows "interaction failed" otherwise)
// and start nothing.
import secureJson from 'secure-json-parse'
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { isInteractionToken, isObject, isSnowflake, type Json } from './fields.ts'
import { optionWords } from './options.ts'
import { commandText } from './command-text.ts'
import { jsonAnswer } from './json-answer.ts'
import type { DiscordTarget } from './target.ts'

const PING = 1
const APPLICATION_COMMAND = 2
const MESSAGE_COMPONENT = 3
const AUTOCOMPLETE = 4
const MODAL_SUBMIT = 5

export function parseDiscord (req: InboundRequest): ParseResult {
  const interaction = readJson(req.rawBody)
  if (interaction === undefined) return { kind: 'invalid', reason: 'malformed_json' }
  if (!isObject(interaction)) return { kind: 'invalid', reason: 'not_an_interaction' }
  switch (interaction.type) {
    case PING:
      return { kind: 'ignore', reason: 'ping', answer: jsonAnswer({ type: 1 }) }
    case MESSAGE_COMPONENT:
    case MODAL_SUBMIT:
      // Deferred update: acknowledged, and the message with the button stays as it is.
      return { kind: 'ignore', reason: 'component', answer: jsonAnswer({ type: 6 }) }
    case AUTOCOMPLETE:
      return { kind: 'ignore', reason: 'autocomplete', answer: jsonAnswer({ type: 8, data: { choices: [] } }) }
    case APPLICATION_COMMAND:
      return readCommand(interaction, req)
    default:
      return { kind: 'invalid', reason: 'bad_interaction_type' }
  }
}

function readJson (raw: Buffer): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    return undefined
  }
}

function readCommand (interaction: Json, req: InboundRequest): ParseResult {
  const { id, application_id: applicationId, token, data } = interaction
  if (!isSnowflake(id)) return { kind: 'invalid', reason: 'bad_interaction_id' }
  if (!isSnowflake(applicationId)) return { kind: 'invalid', reason: 'bad_application_id' }
  // The payload's application id is signed with the application's key; a configured one that
  // differs means the caller is set up for another application.
  const configured = req.caller.reply?.application_id
  if (configured !== undefined && configured !== applicationId) return { kind: 'invalid', reason: 'other_application' }
  if (!isInteractionToken(token)) return { kind: 'invalid', reason: 'bad_token' }

  const user = readUser(interaction)
  if (user === null) return { kind: 'invalid', reason: 'bad_user' }
  const channel = interaction.channel_id
  if (channel !== undefined && !isSnowflake(channel)) return { kind: 'invalid', reason: 'bad_channel_id' }

  if (!isObject(data) || typeof data.name !== 'string' || data.name === '' || [...data.name].length > 32) {
    return { kind: 'invalid', reason: 'bad_command' }
  }
  const words = optionWords(data.options)
  if (words === null) return { kind: 'invalid', reason: 'bad_options' }

  const target: DiscordTarget = { application_id: applicationId, token, channel_id: channel ?? null, received_at: req.now }
  return {
    kind: 'messages',
    messages: [{
      text: commandText(data.name, words, req.caller.commands ?? []),
      user,
      thread: channel ?? null,
      eventId: id,
      target: { ...target }
    }]
  }
}

/** In a server the user is inside `member`; in a DM it is `user`. */
function readUser (interaction: Json): string | null {
  const { member, user } = interaction
  if (member !== undefined) {
    return isObject(member) && isObject(member.user) && isSnowflake(member.user.id) ? member.user.id : null
  }
  return isObject(user) && isSnowflake(user.id) ? user.id : null
}
