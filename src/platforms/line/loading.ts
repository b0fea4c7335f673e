// While the agent works, a 1:1 chat shows LINE's loading animation, renewed before it runs out;
// it stops by itself when the answer arrives. It is decoration: a failed call never fails the run's
// delivery, but a bug in this code still surfaces.
import { DeliveryError } from '../../delivery/outbound.ts'
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { lineApi, readLineTarget } from './target.ts'

/** The longest animation LINE shows (5…60 s, in steps of 5). */
export const LOADING_SECONDS = 60
/** Renewed 5 s before it would end. */
export const LOADING_INTERVAL_MS = 55_000

export async function showLoading (ctx: DeliveryContext, target: ReplyTarget, _text: string, _progress: DeliveryProgress): Promise<void> {
  try {
    const { chat, to } = readLineTarget(target)
    // LINE shows the animation in 1:1 chats only.
    if (chat !== 'user') return
    const { base, authorization } = lineApi(ctx)
    await ctx.http.send({
      method: 'POST',
      url: `${base}/v2/bot/chat/loading/start`,
      headers: { authorization },
      json: { chatId: to, loadingSeconds: LOADING_SECONDS },
      timeoutMs: 5000
    })
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error
  }
}
