// What a Telegram reply needs, stored with the run. The bot token is not in it: it is read from the
// caller's config when the reply is sent.
import type { ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { isChatId, isMessageId } from './fields.ts'

export interface TelegramTarget {
  chat_id: number
  /** The user's message, which every answer replies to. */
  reply_to: number
  /** The forum topic, or null outside topics. */
  thread_id: number | null
}

export function readTelegramTarget (target: ReplyTarget): TelegramTarget {
  const { chat_id: chatId, reply_to: replyTo } = target
  const threadId = target.thread_id ?? null
  if (!isChatId(chatId) || !isMessageId(replyTo) || (threadId !== null && !isMessageId(threadId))) {
    throw new DeliveryError('telegram: the stored reply target is not a Telegram chat', { retryable: false })
  }
  return { chat_id: chatId, reply_to: replyTo, thread_id: threadId }
}

/** sendMessage parameters for a message answering the user's one (in its topic, if any). */
export function replyParams (target: TelegramTarget, text: string, opts: { allowWithoutReply: boolean }): Record<string, unknown> {
  return {
    chat_id: target.chat_id,
    ...(target.thread_id !== null ? { message_thread_id: target.thread_id } : {}),
    text,
    reply_parameters: {
      message_id: target.reply_to,
      // A reply must not be lost because the user deleted their message meanwhile.
      ...(opts.allowWithoutReply ? { allow_sending_without_reply: true } : {})
    }
  }
}
