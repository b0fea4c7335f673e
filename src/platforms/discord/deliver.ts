// The result, through the interaction's webhook: part 1 replaces the deferred "thinking…" message,
// the other parts follow it. Each part is saved before the next, so a retried delivery never sends
// a part twice. The interaction token is in every URL, so no error raised here names one.
import type { DeliveryContext, DeliveryProgress, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { readDiscordTarget } from './target.ts'
import { NO_MENTIONS } from './no-mentions.ts'

export const DISCORD_API_BASE = 'https://discord.com/api/v10'
export const TOKEN_LIFETIME_MS = 15 * 60_000

export async function deliverDiscord (ctx: DeliveryContext, stored: ReplyTarget, parts: string[], progress: DeliveryProgress): Promise<void> {
  const target = readDiscordTarget(stored)
  const base = (ctx.caller.reply?.api_base ?? DISCORD_API_BASE).replace(/\/+$/, '')
  const webhook = `${base}/webhooks/${target.application_id}/${encodeURIComponent(target.token)}`
  for (let i = progress.sent; i < parts.length; i++) {
    // Checked before every part: retries of a long delivery can outlive the token.
    if (ctx.now() - target.received_at >= TOKEN_LIFETIME_MS) {
      throw new DeliveryError(`${hostOf(base)}: interaction token expired`, { retryable: false })
    }
    const json = { content: parts[i]!, allowed_mentions: NO_MENTIONS }
    await ctx.http.send(i === 0
      ? { method: 'PATCH', url: `${webhook}/messages/@original`, json }
      : { method: 'POST', url: webhook, json })
    await ctx.save({ ...progress, sent: i + 1 })
  }
}

function hostOf (url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'discord'
  }
}
