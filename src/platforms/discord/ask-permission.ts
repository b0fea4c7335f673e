// Sends a permission question through the interaction's webhook, the only way this adapter can
// post (no bot token), so it works while the token does: 15 minutes from the slash command.
//
// Two calls. While the deferred answer still shows "thinking…", Discord turns a follow-up into an
// edit of that answer, which the result would later overwrite, buttons and all. So the original is
// first edited into a waiting note (the result replaces it as usual), and the question then goes out
// as a follow-up of its own, which keeps its buttons and can be answered while other questions are open.
import type { DeliveryContext, PermissionAsk, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { DISCORD_API_BASE, TOKEN_LIFETIME_MS } from './deliver.ts'
import { fitOneMessage } from './limits.ts'
import { escapeMarkdown } from './markdown-escape.ts'
import { NO_MENTIONS } from './no-mentions.ts'
import { permissionMessage } from './permission-message.ts'
import { readDiscordTarget } from './target.ts'

export async function askDiscordPermission (ctx: DeliveryContext, stored: ReplyTarget, ask: PermissionAsk): Promise<void> {
  const target = readDiscordTarget(stored)
  const base = (ctx.caller.reply?.api_base ?? DISCORD_API_BASE).replace(/\/+$/, '')
  if (ctx.now() - target.received_at >= TOKEN_LIFETIME_MS) {
    throw new DeliveryError(`${hostOf(base)}: interaction token expired`, { retryable: false })
  }
  const webhook = `${base}/webhooks/${target.application_id}/${encodeURIComponent(target.token)}`
  await ctx.http.send({
    method: 'PATCH',
    url: `${webhook}/messages/@original`,
    json: { content: fitOneMessage(`Waiting for permission to use ${escapeMarkdown(ask.tool)}…`), allowed_mentions: NO_MENTIONS }
  })
  await ctx.http.send({ method: 'POST', url: webhook, json: permissionMessage(ask) })
}

function hostOf (url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'discord'
  }
}
