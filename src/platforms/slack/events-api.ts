// Events API callbacks: the url_verification handshake, and messages that mention the app or are
// sent to it directly. Everything else a Slack app may be subscribed to is acknowledged and ignored.
//
// In channels only `app_mention` counts: an app subscribed to channel messages too gets a second
// `message` event, with its own event_id, for every mention (it would run twice) and one for every
// line of chatter (it would run on conversations not addressed to it). Direct messages (`im`) are
// addressed to the app by definition.
import type { ParseResult } from '../adapter.ts'
import { asId, asMessageTs, isRecord } from './fields.ts'
import { readSlackText } from './mrkdwn.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }

export function parseEventsApi (body: unknown): ParseResult {
  if (!isRecord(body) || typeof body.type !== 'string') return { kind: 'invalid', reason: 'bad_type' }
  switch (body.type) {
    case 'url_verification': {
      const challenge = asId(body.challenge)
      if (challenge === null) return { kind: 'invalid', reason: 'bad_challenge' }
      return { kind: 'ignore', reason: 'url_verification', answer: { status: 200, headers: JSON_HEADERS, body: JSON.stringify({ challenge }) } }
    }
    case 'event_callback':
      return parseEventCallback(body)
    default:
      // app_rate_limited and whatever Slack adds later: nothing to run.
      return { kind: 'ignore', reason: 'unsupported_callback' }
  }
}

function parseEventCallback (body: Record<string, unknown>): ParseResult {
  const eventId = asId(body.event_id)
  if (eventId === null) return { kind: 'invalid', reason: 'bad_event_id' }
  const event = body.event
  if (!isRecord(event) || typeof event.type !== 'string') return { kind: 'invalid', reason: 'bad_event' }
  if (event.type !== 'app_mention' && event.type !== 'message') return { kind: 'ignore', reason: 'unsupported_event' }
  // Edits, deletions, joins, file shares and bot posts all carry a subtype.
  if (event.subtype !== undefined) return { kind: 'ignore', reason: 'message_subtype' }
  // Never answer a bot, ourselves included: two bots answering each other never stop.
  if (event.bot_id !== undefined || event.bot_profile !== undefined) return { kind: 'ignore', reason: 'bot_message' }
  if (event.type === 'message' && event.channel_type !== 'im') return { kind: 'ignore', reason: 'channel_message' }

  const user = asId(event.user)
  if (user === null) return { kind: 'invalid', reason: 'bad_user' }
  if (botUserIds(body.authorizations).includes(user)) return { kind: 'ignore', reason: 'bot_message' }
  const channel = asId(event.channel)
  if (channel === null) return { kind: 'invalid', reason: 'bad_channel' }
  const ts = asMessageTs(event.ts)
  if (ts === null) return { kind: 'invalid', reason: 'bad_ts' }
  const threadTs = event.thread_ts === undefined ? ts : asMessageTs(event.thread_ts)
  if (threadTs === null) return { kind: 'invalid', reason: 'bad_thread_ts' }
  if (typeof event.text !== 'string') return { kind: 'invalid', reason: 'bad_text' }

  const text = readSlackText(event.text, { dropMentions: true })
  return {
    kind: 'messages',
    messages: [{
      // A bare mention is the user asking what they can do.
      text: text === '' ? '/help' : text,
      user,
      thread: `${channel}:${threadTs}`,
      eventId,
      target: { via: 'chat', channel, thread_ts: threadTs }
    }]
  }
}

/** The app's own bot user, from the installations the event was delivered for. */
function botUserIds (authorizations: unknown): string[] {
  if (!Array.isArray(authorizations)) return []
  return authorizations.flatMap((a) => isRecord(a) && a.is_bot === true && typeof a.user_id === 'string' ? [a.user_id] : [])
}
