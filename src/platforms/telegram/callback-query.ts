// A button press (`callback_query`). A press on a permission question's button becomes `/allow
// <id>` or `/deny <id>` from the user who pressed it, in the chat (and topic) of the question, so
// it takes the same path as the typed command. Presses on any other button, and on buttons of
// inline-mode messages (which have no chat), are skipped.
import type { ParseResult } from '../adapter.ts'
import { isChatId, isMessageId, isObject } from './fields.ts'
import { permissionCommand } from '../permission-button.ts'
import type { TelegramTarget } from './target.ts'
import { readTopic } from './topic.ts'

const SKIPPED: ParseResult = { kind: 'ignore', reason: 'callback_query' }
/** Telegram's query ids are decimal strings; the bound keeps anything else out of the audit log. */
const QUERY_ID = /^[\x21-\x7e]{1,64}$/

export function readCallbackQuery (query: unknown): ParseResult {
  if (!isObject(query)) return { kind: 'invalid', reason: 'bad_callback_query' }
  const text = permissionCommand(query.data)
  if (text === null || query.message === undefined) return SKIPPED
  if (typeof query.id !== 'string' || !QUERY_ID.test(query.id)) return { kind: 'invalid', reason: 'bad_callback_query_id' }
  const from = query.from
  if (!isObject(from) || !isChatId(from.id) || typeof from.is_bot !== 'boolean') return { kind: 'invalid', reason: 'bad_sender' }
  if (from.is_bot) return { kind: 'ignore', reason: 'bot' }

  // The question the button is on: still named by chat and id when it is too old to be shown.
  const message = query.message
  if (!isObject(message) || !isMessageId(message.message_id)) return { kind: 'invalid', reason: 'bad_message_id' }
  if (!isObject(message.chat) || !isChatId(message.chat.id)) return { kind: 'invalid', reason: 'bad_chat' }
  const thread = readTopic(message)
  if (thread === 'invalid') return { kind: 'invalid', reason: 'bad_message_thread_id' }

  // Answers go in reply to the question.
  const target: TelegramTarget = { chat_id: message.chat.id, reply_to: message.message_id, thread_id: thread }
  return {
    kind: 'messages',
    messages: [{
      text,
      user: String(from.id),
      thread: thread === null ? String(message.chat.id) : `${message.chat.id}:${thread}`,
      eventId: query.id,
      target: { ...target }
    }]
  }
}
