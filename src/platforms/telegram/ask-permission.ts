// Sends a permission question in reply to the user's message, with Allow / Deny buttons under it.
// The text is the plain question with both typed commands: no parse_mode, so nothing the agent put
// in the summary is read as markup.
import type { DeliveryContext, PermissionAsk, ReplyTarget } from '../adapter.ts'
import { callBotApi } from './bot-api.ts'
import { fitOneMessage } from './limits.ts'
import { permissionButtonValue } from '../permission-button.ts'
import { readTelegramTarget, replyParams } from './target.ts'

export async function askTelegramPermission (ctx: DeliveryContext, stored: ReplyTarget, ask: PermissionAsk): Promise<void> {
  const target = readTelegramTarget(stored)
  await callBotApi(ctx, 'sendMessage', {
    ...replyParams(target, fitOneMessage(ask.text), { allowWithoutReply: true }),
    reply_markup: {
      inline_keyboard: [[
        { text: 'Allow', callback_data: permissionButtonValue('allow', ask.pid) },
        { text: 'Deny', callback_data: permissionButtonValue('deny', ask.pid) }
      ]]
    }
  })
}
