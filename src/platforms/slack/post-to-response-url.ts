// Results of a slash command go to its response_url, which Slack honours five times within 30
// minutes (hence maxMessages 4). The URL is itself the credential: it never appears in a message.
import type { DeliveryContext, ReplyTarget } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { checkSlackAnswer } from './slack-error.ts'
import { escapeSlackText } from './mrkdwn.ts'
import { isAllowedResponseUrl } from './response-url.ts'
import type { SlackSend } from './sender.ts'

export function responseUrlSender (ctx: DeliveryContext, target: ReplyTarget): SlackSend {
  const url = target.response_url
  // Checked again at delivery: the target was stored, and the config may have changed since.
  if (typeof url !== 'string' || !isAllowedResponseUrl(url, ctx.caller.reply?.api_base)) {
    throw new DeliveryError('slack: the stored response_url is not a Slack URL', { retryable: false })
  }
  const responseType = ctx.caller.reply?.response_type ?? 'ephemeral'
  return async (text, blocks) => {
    let res
    try {
      res = await ctx.http.send({
        method: 'POST',
        url,
        json: { response_type: responseType, text: escapeSlackText(text), ...(blocks !== undefined ? { blocks } : {}), replace_original: false }
      })
    } catch (error) {
      if (error instanceof DeliveryError && (error.status === 404 || error.status === 410)) {
        throw new DeliveryError(`slack: response_url expired or used up (answered ${error.status})`, { retryable: false, status: error.status })
      }
      throw error
    }
    checkSlackAnswer(res, 'response_url')
  }
}
