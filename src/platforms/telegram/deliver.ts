// The result. When a live message shows the run's progress, part 1 replaces its text, so the chat
// ends with the answer where the progress was; the other parts follow as new messages. Every step
// is saved before the next, so a retried delivery never sends a part twice. A hold Telegram asked
// for while the live view was updated (429 `retry_after`) is waited out before the first call.
import { setTimeout as sleep } from 'node:timers/promises'
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { callBotApi } from './bot-api.ts'
import { holdUntil, lastTextHash, liveMessageId } from './live-message.ts'
import { readTelegramTarget, replyParams, type TelegramTarget } from './target.ts'
import { textHash } from './text-hash.ts'

/** Longest hold waited out here; a longer one goes back to the delivery service to schedule. */
const MAX_INLINE_HOLD_MS = 5000

export async function deliverTelegram (ctx: DeliveryContext, stored: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void> {
  const target = readTelegramTarget(stored)
  await waitOutHold(ctx, progress, parts)
  let state = progress
  for (let i = progress.sent; i < parts.length; i++) {
    const part = parts[i]!
    const live = i === 0 ? liveMessageId(state) : null
    if (live === null) {
      await callBotApi(ctx, 'sendMessage', replyParams(target, part, { allowWithoutReply: true }))
    } else if (lastTextHash(state) !== textHash(part)) {
      await replaceLive(ctx, target, live, part)
    }
    state = { ...state, sent: i + 1 }
    await ctx.save(state)
  }
}

async function waitOutHold (ctx: DeliveryContext, progress: DeliveryProgress, parts: string[]): Promise<void> {
  if (progress.sent >= parts.length) return
  const hold = holdUntil(progress)
  const remaining = hold === null ? 0 : hold - ctx.now()
  if (remaining <= 0) return
  if (remaining > MAX_INLINE_HOLD_MS) {
    throw new DeliveryError('telegram: waiting out the Bot API\'s retry_after', { retryable: true, status: 429, retryAfterMs: remaining })
  }
  await sleep(remaining)
}

async function replaceLive (ctx: DeliveryContext, target: TelegramTarget, messageId: number, text: string): Promise<void> {
  try {
    await callBotApi(ctx, 'editMessageText', { chat_id: target.chat_id, message_id: messageId, text })
  } catch (error) {
    // A 400 means the live message cannot take this text: deleted by the user, too old to edit, or
    // (after a lost save) already showing it. The outbound client withholds the answer body that
    // would tell them apart, and a repeated part beats a lost answer: send it as a new message.
    if (!(error instanceof DeliveryError) || error.status !== 400) throw error
    await callBotApi(ctx, 'sendMessage', replyParams(target, text, { allowWithoutReply: true }))
  }
}
