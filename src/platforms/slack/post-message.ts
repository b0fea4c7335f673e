// Replies to Events API messages go into the message's thread with chat.postMessage, which needs
// the bot token from the caller's config (never from the stored target).
import type { DeliveryContext, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { asId, asMessageTs } from './fields.ts'
import { escapeSlackText } from './mrkdwn.ts'
import { checkSlackAnswer } from './slack-error.ts'
import type { SlackSend } from './sender.ts'

const DEFAULT_API_BASE = 'https://slack.com/api'

export function chatSender (ctx: DeliveryContext, target: ReplyTarget): SlackSend {
  const token = ctx.caller.reply?.token
  if (token === undefined || token === '') {
    throw new DeliveryError('slack: replies to Events API messages need a bot token (reply.token) with chat:write', { retryable: false })
  }
  const channel = asId(target.channel)
  const hasThread = target.thread_ts !== undefined && target.thread_ts !== null
  const threadTs = hasThread ? asMessageTs(target.thread_ts) : null
  if (channel === null || (hasThread && threadTs === null)) {
    throw new DeliveryError('slack: the stored reply target has no valid channel', { retryable: false })
  }
  const url = `${withoutTrailingSlash(ctx.caller.reply?.api_base ?? DEFAULT_API_BASE)}/chat.postMessage`
  return async (text, blocks) => {
    const res = await ctx.http.send({
      method: 'POST',
      url,
      // Slack warns about JSON bodies without a charset.
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
      json: { channel, ...(threadTs !== null ? { thread_ts: threadTs } : {}), text: escapeSlackText(text), ...(blocks !== undefined ? { blocks } : {}) }
    })
    checkSlackAnswer(res, 'chat.postMessage')
  }
}

function withoutTrailingSlash (url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url
}
