// The live view: the first call sends a message answering the user's, later calls edit
// it to show what the agent has written so far. Unchanged text is not sent again: Telegram refuses
// such an edit, and every call counts against the bot's rate limit. When Telegram answers 429, its
// `retry_after` is remembered in the delivery state: until then updates are skipped (the next one
// shows newer text anyway), however often and however late they are asked for.
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { callBotApi } from './bot-api.ts'
import { isMessageId, isObject } from './fields.ts'
import { holdUntil, lastTextHash, liveMessageId, withoutHold } from './live-message.ts'
import { readTelegramTarget, replyParams, type TelegramTarget } from './target.ts'
import { textHash } from './text-hash.ts'

export async function showProgress (ctx: DeliveryContext, stored: ReplyTarget, text: string, progress: DeliveryProgress): Promise<void> {
  // Telegram refuses an empty message; the agent has just not written anything yet.
  if (text.trim() === '') return
  const target = readTelegramTarget(stored)
  const hold = holdUntil(progress)
  if (hold !== null && ctx.now() < hold) return
  try {
    await update(ctx, target, text, withoutHold(progress))
  } catch (error) {
    if (error instanceof DeliveryError && error.retryAfterMs !== null) {
      // Saved before the error goes on, so neither the next update nor the final delivery calls
      // Telegram before the time it named. A state that cannot be saved only costs that.
      try {
        await ctx.save({ ...progress, hold_until: ctx.now() + error.retryAfterMs })
      } catch {}
    }
    throw error
  }
}

async function update (ctx: DeliveryContext, target: TelegramTarget, text: string, progress: DeliveryProgress): Promise<void> {
  const hash = textHash(text)
  const messageId = liveMessageId(progress)

  if (messageId === null) {
    const result = await callBotApi(ctx, 'sendMessage', replyParams(target, text, { allowWithoutReply: true }))
    const sentId = isObject(result) ? result.message_id : undefined
    if (!isMessageId(sentId)) throw new DeliveryError('telegram: sendMessage answered without a message_id', { retryable: false })
    await ctx.save({ ...progress, message_id: sentId, last_text_hash: hash })
    return
  }

  if (lastTextHash(progress) === hash) return
  try {
    await callBotApi(ctx, 'editMessageText', { chat_id: target.chat_id, message_id: messageId, text })
  } catch (error) {
    // A 400 here is almost always "message is not modified" (the state was lost before it was
    // saved, or the texts differ in what Telegram ignores), which means the view is already right.
    // The outbound client withholds the answer body, so the other 400s (the user deleted the
    // message, it is too old to edit) land here too; they only cost the live view, and the final
    // delivery sends a new message when it cannot edit this one.
    if (!(error instanceof DeliveryError) || error.status !== 400) throw error
  }
  await ctx.save({ ...progress, last_text_hash: hash })
}
