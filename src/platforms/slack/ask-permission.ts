// Sends a permission question where the run's results go: the response_url of a slash command
// (ephemeral by default, so only the asker sees the buttons) or the message's thread.
import type { DeliveryContext, PermissionAsk, ReplyTarget } from '../adapter.ts'
import { permissionMessage } from './permission-message.ts'
import { senderFor } from './sender.ts'

export async function askSlackPermission (ctx: DeliveryContext, target: ReplyTarget, ask: PermissionAsk): Promise<void> {
  const { text, blocks } = permissionMessage(ask)
  await senderFor(ctx, target)(text, blocks)
}
