// Sends a result to LINE. The Reply API is free and answers in the conversation the user wrote
// in, but its token is single-use and lives about a minute; past that, or once LINE refuses the
// token, the Push API sends to the chat instead, with a retry key so a retried push is not sent twice.
import { DeliveryError } from '../../delivery/outbound.ts'
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { pushRetryKey } from './retry-key.ts'
import { lineApi, readLineTarget } from './target.ts'

/** LINE promises the reply token for one minute; 10 s of margin covers clock skew and the call itself. */
export const REPLY_TOKEN_FRESH_MS = 50_000
/** Messages one Reply or Push call takes. */
const MESSAGES_PER_CALL = 5

export async function deliverLine (ctx: DeliveryContext, target: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void> {
  const { replyToken, receivedAt, to } = readLineTarget(target)
  const { base, authorization } = lineApi(ctx)
  if (progress.sent >= parts.length) return
  let state = progress

  const remaining = parts.slice(state.sent)
  const fresh = replyToken !== null && state.replied !== true && state.replyRefused !== true &&
    state.sent === 0 && remaining.length <= MESSAGES_PER_CALL && ctx.now() - receivedAt < REPLY_TOKEN_FRESH_MS
  if (fresh) {
    try {
      await ctx.http.send({
        method: 'POST',
        url: `${base}/v2/bot/message/reply`,
        headers: { authorization },
        json: { replyToken, messages: remaining.map(textMessage) }
      })
      await ctx.save({ ...state, sent: parts.length, replied: true })
      return
    } catch (error) {
      // 400 is LINE's answer to a used or expired reply token: push instead. Anything else (429,
      // 5xx, 401) is for the delivery service to retry or give up on, as with any other call.
      if (!(error instanceof DeliveryError) || error.status !== 400) throw error
      state = { ...state, replyRefused: true }
      await ctx.save(state)
    }
  }

  for (let first = state.sent; first < parts.length; first += MESSAGES_PER_CALL) {
    const batch = parts.slice(first, first + MESSAGES_PER_CALL)
    try {
      await ctx.http.send({
        method: 'POST',
        url: `${base}/v2/bot/message/push`,
        headers: { authorization, 'x-line-retry-key': pushRetryKey(ctx.deliveryId, first) },
        json: { to, messages: batch.map(textMessage) }
      })
    } catch (error) {
      // 409: a push with this retry key was already accepted (our earlier attempt got through).
      if (!(error instanceof DeliveryError) || error.status !== 409) throw error
    }
    state = { ...state, sent: first + batch.length }
    await ctx.save(state)
  }
}

function textMessage (text: string): { type: 'text', text: string } {
  return { type: 'text', text }
}
