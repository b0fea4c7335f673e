// Sends a permission question to the channel through the caller's Workflows webhook, as text with
// the typed commands and no buttons. Buttons cannot work here:
// - the answer to an outgoing webhook may carry cards, but Teams allows only `openUrl` actions in
//   them, and an outgoing webhook receives nothing but messages that @mention it;
// - a card posted by a Workflows flow belongs to the flow's bot: an Action.Submit on it goes to
//   Power Automate, never to this gateway, and would not be signed with the webhook's token;
// - an openUrl button to the gateway would be an unsigned GET from anyone who has the link, with
//   no verified user to hold to the question's asker.
// So the user answers as they started the run: by mentioning the outgoing webhook with the command.
import type { DeliveryContext, PermissionAsk, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { permissionCard } from './permission-card.ts'

export async function askTeamsPermission (ctx: DeliveryContext, target: ReplyTarget, ask: PermissionAsk): Promise<void> {
  const url = ctx.caller.reply?.webhook_url
  if (url === undefined || url === '') {
    throw new DeliveryError('teams: no reply.webhook_url configured, so a permission question cannot be posted', { retryable: false })
  }
  const userName = typeof target.user_name === 'string' && target.user_name !== '' ? target.user_name : null
  await ctx.http.send({ method: 'POST', url, json: permissionCard(ask, userName) })
}
