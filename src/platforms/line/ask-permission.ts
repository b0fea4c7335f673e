// Sends a permission question to the chat the run came from: with the Reply API while the message's
// reply token is fresh (free, and it answers where the user wrote), otherwise or once LINE refuses
// the token, with the Push API and a retry key so a retried push is not shown twice. A result sent
// later finds the token used, and deliver.ts pushes it instead.
import { DeliveryError } from '../../delivery/outbound.ts'
import type { DeliveryContext, PermissionAsk, ReplyTarget } from '../adapter.ts'
import { REPLY_TOKEN_FRESH_MS } from './deliver.ts'
import { permissionFlex } from './permission-flex.ts'
import { permissionRetryKey } from './retry-key.ts'
import { lineApi, readLineTarget } from './target.ts'

export async function askLinePermission (ctx: DeliveryContext, stored: ReplyTarget, ask: PermissionAsk): Promise<void> {
  const { replyToken, receivedAt, to } = readLineTarget(stored)
  const { base, authorization } = lineApi(ctx)
  const messages = [permissionFlex(ask)]
  if (replyToken !== null && ctx.now() - receivedAt < REPLY_TOKEN_FRESH_MS) {
    try {
      await ctx.http.send({ method: 'POST', url: `${base}/v2/bot/message/reply`, headers: { authorization }, json: { replyToken, messages } })
      return
    } catch (error) {
      // 400: the token is used or expired. Anything else is for the caller to retry or give up on.
      if (!(error instanceof DeliveryError) || error.status !== 400) throw error
    }
  }
  try {
    await ctx.http.send({
      method: 'POST',
      url: `${base}/v2/bot/message/push`,
      headers: { authorization, 'x-line-retry-key': permissionRetryKey(ctx.deliveryId, ask.pid) },
      json: { to, messages }
    })
  } catch (error) {
    // 409: a push with this retry key was already accepted (an earlier attempt got through).
    if (!(error instanceof DeliveryError) || error.status !== 409) throw error
  }
}
