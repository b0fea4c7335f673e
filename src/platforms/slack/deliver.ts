// Sends a result part by part through whichever channel the message came in on, saving progress
// after each part so a retried delivery never posts a part twice.
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { chatSender } from './post-message.ts'
import { responseUrlSender } from './post-to-response-url.ts'

export async function deliverSlack (ctx: DeliveryContext, target: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void> {
  const send = senderFor(ctx, target)
  for (let i = progress.sent; i < parts.length; i++) {
    await send(parts[i]!)
    await ctx.save({ ...progress, sent: i + 1 })
  }
}

function senderFor (ctx: DeliveryContext, target: ReplyTarget): (text: string) => Promise<void> {
  switch (target.via) {
    case 'response_url': return responseUrlSender(ctx, target)
    case 'chat': return chatSender(ctx, target)
    default: throw new DeliveryError('slack: the stored reply target has an unknown kind', { retryable: false })
  }
}
