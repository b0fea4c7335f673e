// Reads a LINE webhook: one request carries any number of events; each text
// message from an active channel, and each press of a permission button (a postback), becomes a
// message, in order, and everything else is skipped.
// Unknown event and message types are skipped rather than refused: LINE adds them without notice.
import secureJson from 'secure-json-parse'
import type { InboundMessage, InboundRequest, ParseResult } from '../adapter.ts'
import { isId, isObject, type Json } from './fields.ts'
import { stripSelfMentions } from './mentions.ts'
import { lineAck } from './answer.ts'
import { permissionCommand } from '../permission-button.ts'

type EventResult = { kind: 'message', message: InboundMessage } | { kind: 'skip' } | { kind: 'invalid', reason: string }
/** What an event says: its text (and, for a message, LINE's mention markers), or why it says nothing. */
type ContentResult = { kind: 'text', text: string, mention?: unknown } | { kind: 'skip' } | { kind: 'invalid', reason: string }

const CHATS = { user: 'userId', group: 'groupId', room: 'roomId' } as const

export function parseLine (req: InboundRequest): ParseResult {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.rawBody)
  } catch {
    return { kind: 'invalid', reason: 'not_utf8' }
  }
  let payload: unknown
  try {
    payload = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    return { kind: 'invalid', reason: 'malformed_json' }
  }
  if (!isObject(payload) || !Array.isArray(payload.events)) return { kind: 'invalid', reason: 'missing_events' }
  if (!isId(payload.destination)) return { kind: 'invalid', reason: 'bad_destination' }
  // The console's Verify button sends no events and expects 200.
  if (payload.events.length === 0) return { kind: 'ignore', reason: 'no_events', answer: lineAck() }

  const messages: InboundMessage[] = []
  for (const event of payload.events) {
    const result = readEvent(event, req.now)
    if (result.kind === 'invalid') return result
    if (result.kind === 'message') messages.push(result.message)
  }
  if (messages.length === 0) return { kind: 'ignore', reason: 'no_message_events', answer: lineAck() }
  return { kind: 'messages', messages }
}

function readEvent (event: unknown, receivedAt: number): EventResult {
  if (!isObject(event) || typeof event.type !== 'string') return { kind: 'invalid', reason: 'bad_event' }
  if (event.type !== 'message' && event.type !== 'postback') return { kind: 'skip' }
  if (event.mode !== undefined && typeof event.mode !== 'string') return { kind: 'invalid', reason: 'bad_mode' }
  // Standby: another channel owns the conversation (module channels); we must not answer.
  if (event.mode === 'standby') return { kind: 'skip' }
  const content = event.type === 'message' ? readMessage(event.message) : readPostback(event.postback)
  if (content.kind !== 'text') return content
  if (!isId(event.webhookEventId)) return { kind: 'invalid', reason: 'bad_webhook_event_id' }
  if (event.replyToken !== undefined && !isId(event.replyToken)) return { kind: 'invalid', reason: 'bad_reply_token' }

  const source = readSource(event.source)
  if (source === null) return { kind: 'invalid', reason: 'bad_source' }
  // Without a user id nobody can be checked against `users`: such a message cannot be run.
  if (source.user === null) return { kind: 'skip' }
  const stripped = stripSelfMentions(content.text, content.mention)
  if (!stripped.ok) return { kind: 'invalid', reason: 'bad_mention' }

  return {
    kind: 'message',
    message: {
      text: stripped.text.trim(),
      user: source.user,
      thread: source.to,
      eventId: event.webhookEventId,
      target: { replyToken: event.replyToken ?? null, receivedAt, to: source.to, chat: source.chat }
    }
  }
}

function readMessage (message: unknown): ContentResult {
  if (!isObject(message) || typeof message.type !== 'string') return { kind: 'invalid', reason: 'bad_message' }
  if (message.type !== 'text') return { kind: 'skip' }
  if (typeof message.text !== 'string') return { kind: 'invalid', reason: 'bad_text' }
  return { kind: 'text', text: message.text, mention: message.mention }
}

/** A press of one of our permission buttons is the command it stands for; any other postback is skipped. */
function readPostback (postback: unknown): ContentResult {
  if (!isObject(postback)) return { kind: 'invalid', reason: 'bad_postback' }
  const text = permissionCommand(postback.data)
  return text === null ? { kind: 'skip' } : { kind: 'text', text }
}

function readSource (source: unknown): { chat: keyof typeof CHATS, to: string, user: string | null } | null {
  if (!isObject(source) || typeof source.type !== 'string' || !Object.hasOwn(CHATS, source.type)) return null
  const chat = source.type as keyof typeof CHATS
  const to = (source as Json)[CHATS[chat]]
  if (!isId(to)) return null
  if (source.userId !== undefined && !isId(source.userId)) return null
  return { chat, to, user: source.userId ?? null }
}
