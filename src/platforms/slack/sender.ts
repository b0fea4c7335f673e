// One message to the conversation a stored target names, through whichever channel the message
// came in on: the response_url of a slash command or button press, or chat.postMessage.
import type { DeliveryContext, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { chatSender } from './post-message.ts'
import { responseUrlSender } from './post-to-response-url.ts'

/** Sends `text` (escaped by the sender; with blocks it is the notification fallback) and optional Block Kit blocks. */
export type SlackSend = (text: string, blocks?: readonly unknown[]) => Promise<void>

export function senderFor (ctx: DeliveryContext, target: ReplyTarget): SlackSend {
  switch (target.via) {
    case 'response_url': return responseUrlSender(ctx, target)
    case 'chat': return chatSender(ctx, target)
    default: throw new DeliveryError('slack: the stored reply target has an unknown kind', { retryable: false })
  }
}
