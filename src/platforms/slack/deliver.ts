// Sends a result part by part through whichever channel the message came in on, saving progress
// after each part so a retried delivery never posts a part twice.
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { senderFor } from './sender.ts'

export async function deliverSlack (ctx: DeliveryContext, target: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void> {
  const send = senderFor(ctx, target)
  for (let i = progress.sent; i < parts.length; i++) {
    await send(parts[i]!)
    await ctx.save({ ...progress, sent: i + 1 })
  }
}
