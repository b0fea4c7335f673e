// What every interaction hookgate acts on must carry, whether a slash command or a button press:
// its id, the application and the token that answers it, the user, and the channel.
import type { InboundRequest } from '../adapter.ts'
import { isInteractionToken, isObject, isSnowflake, type Json } from './fields.ts'
import type { DiscordTarget } from './target.ts'

export interface InteractionBase {
  id: string
  user: string
  channel: string | null
  target: DiscordTarget
}

export function readInteraction (interaction: Json, req: InboundRequest): InteractionBase | { invalid: string } {
  const { id, application_id: applicationId, token } = interaction
  if (!isSnowflake(id)) return { invalid: 'bad_interaction_id' }
  if (!isSnowflake(applicationId)) return { invalid: 'bad_application_id' }
  // The payload's application id is signed with the application's key; a configured one that
  // differs means the caller is set up for another application.
  const configured = req.caller.reply?.application_id
  if (configured !== undefined && configured !== applicationId) return { invalid: 'other_application' }
  if (!isInteractionToken(token)) return { invalid: 'bad_token' }

  const user = readUser(interaction)
  if (user === null) return { invalid: 'bad_user' }
  const channel = interaction.channel_id
  if (channel !== undefined && !isSnowflake(channel)) return { invalid: 'bad_channel_id' }
  return { id, user, channel: channel ?? null, target: { application_id: applicationId, token, channel_id: channel ?? null, received_at: req.now } }
}

/** In a server the user is inside `member`; in a DM it is `user`. */
function readUser (interaction: Json): string | null {
  const { member, user } = interaction
  if (member !== undefined) {
    return isObject(member) && isObject(member.user) && isSnowflake(member.user.id) ? member.user.id : null
  }
  return isObject(user) && isSnowflake(user.id) ? user.id : null
}
