// Reads a verified Teams outgoing-webhook request: a Bot Framework message activity, sent when
// someone @mentions the webhook in a channel.
import secureJson from 'secure-json-parse'
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { readActivityText } from './activity-text.ts'
import { asDisplayName, asId, isRecord } from './fields.ts'

export function parseTeams (req: InboundRequest): ParseResult {
  let activity: unknown
  try {
    activity = secureJson.parse(req.rawBody.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    return { kind: 'invalid', reason: 'invalid_json' }
  }
  if (!isRecord(activity) || typeof activity.type !== 'string') return { kind: 'invalid', reason: 'bad_type' }
  if (activity.type !== 'message') return { kind: 'ignore', reason: 'not_a_message' }

  const eventId = asId(activity.id)
  if (eventId === null) return { kind: 'invalid', reason: 'bad_id' }
  const from = activity.from
  const user = isRecord(from) ? asId(from.id) : null
  if (!isRecord(from) || user === null) return { kind: 'invalid', reason: 'bad_from' }
  const userName = asDisplayName(from.name)
  if (userName === undefined) return { kind: 'invalid', reason: 'bad_from_name' }
  const conversation = activity.conversation
  const thread = isRecord(conversation) ? asId(conversation.id) : null
  if (thread === null) return { kind: 'invalid', reason: 'bad_conversation' }
  if (activity.text !== undefined && activity.text !== null && typeof activity.text !== 'string') {
    return { kind: 'invalid', reason: 'bad_text' }
  }

  const text = readActivityText(activity.text ?? '')
  return {
    kind: 'messages',
    messages: [{
      // A bare mention is the user asking what they can do.
      text: text === '' ? '/help' : text,
      user,
      thread,
      eventId,
      target: { conversation: thread, user_name: userName, reply_to: eventId }
    }]
  }
}
