// Reads a Telegram Update: one update per request, and only `message` and
// presses of permission buttons (`callback_query`) carry something to run. Edits, channel posts,
// other buttons and the many other update types are acknowledged and skipped; Telegram adds update
// types without notice, so unknown ones are too.
import type { InboundRequest, ParseResult } from '../adapter.ts'
import { isChatId, isMessageId, isObject, type Json } from './fields.ts'
import { readCallbackQuery } from './callback-query.ts'
import { telegramCommandText } from './command.ts'
import type { TelegramTarget } from './target.ts'
import { readTopic } from './topic.ts'
import { readUpdateJson } from './update-json.ts'

const SKIPPED: ReadonlyArray<[key: string, reason: string]> = [
  ['edited_message', 'edited'],
  ['edited_channel_post', 'edited'],
  ['edited_business_message', 'edited'],
  ['channel_post', 'channel_post']
]

export function parseTelegram (req: InboundRequest): ParseResult {
  const update = readUpdateJson(req.rawBody)
  if (update === undefined) return { kind: 'invalid', reason: 'malformed_json' }
  if (!isObject(update)) return { kind: 'invalid', reason: 'not_an_update' }
  // update_id 0 is legal: it is a counter, and the dedupe key.
  if (typeof update.update_id !== 'number' || !Number.isSafeInteger(update.update_id) || update.update_id < 0) {
    return { kind: 'invalid', reason: 'bad_update_id' }
  }
  if (update.message === undefined && update.callback_query !== undefined) return readCallbackQuery(update.callback_query)
  if (update.message === undefined) {
    const skipped = SKIPPED.find(([key]) => update[key] !== undefined)
    return { kind: 'ignore', reason: skipped?.[1] ?? 'unsupported_update' }
  }
  return readMessage(update.message, update.update_id)
}

function readMessage (message: unknown, updateId: number): ParseResult {
  if (!isObject(message)) return { kind: 'invalid', reason: 'bad_message' }
  if (!isMessageId(message.message_id)) return { kind: 'invalid', reason: 'bad_message_id' }
  if (!isObject(message.chat) || !isChatId(message.chat.id)) return { kind: 'invalid', reason: 'bad_chat' }
  const thread = readTopic(message)
  if (thread === 'invalid') return { kind: 'invalid', reason: 'bad_message_thread_id' }

  // No sender: a post to a channel the bot is in. Nobody to check against `users`.
  if (message.from === undefined) return { kind: 'ignore', reason: 'no_sender' }
  const from = message.from
  if (!isObject(from) || !isChatId(from.id) || typeof from.is_bot !== 'boolean') return { kind: 'invalid', reason: 'bad_sender' }
  // Bots include the stand-ins Telegram uses for anonymous admins and linked channels; and a bot's
  // own messages must never loop back into runs.
  if (from.is_bot) return { kind: 'ignore', reason: 'bot' }

  const text = readText(message)
  if (text === 'invalid') return { kind: 'invalid', reason: 'bad_text' }
  if (text === null) return { kind: 'ignore', reason: 'no_text' }

  const target: TelegramTarget = { chat_id: message.chat.id, reply_to: message.message_id, thread_id: thread }
  return {
    kind: 'messages',
    messages: [{
      text: telegramCommandText(text),
      user: String(from.id),
      thread: thread === null ? String(message.chat.id) : `${message.chat.id}:${thread}`,
      eventId: String(updateId),
      target: { ...target }
    }]
  }
}

/** The text, or a media message's caption; null for messages with neither (stickers, joins, …). */
function readText (message: Json): string | null | 'invalid' {
  const { text, caption } = message
  if (text !== undefined && typeof text !== 'string') return 'invalid'
  if (caption !== undefined && typeof caption !== 'string') return 'invalid'
  return text ?? caption ?? null
}
