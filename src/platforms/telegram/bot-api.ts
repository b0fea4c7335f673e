// One Bot API call. The bot token is part of the URL path, so no error raised here names the URL,
// the token or Telegram's description: only the host, the method and Telegram's error code.
import type { DeliveryContext } from '../adapter.ts'
import { DeliveryError } from '../../delivery/outbound.ts'
import { isObject } from './fields.ts'

export const TELEGRAM_API_BASE = 'https://api.telegram.org'

/** `<bot id>:<secret>`; anything else could change the path the request goes to. */
const BOT_TOKEN = /^[0-9]{1,20}:[A-Za-z0-9_-]{1,128}$/

export async function callBotApi (ctx: DeliveryContext, method: 'sendMessage' | 'editMessageText', params: Record<string, unknown>): Promise<unknown> {
  const base = (ctx.caller.reply?.api_base ?? TELEGRAM_API_BASE).replace(/\/+$/, '')
  const host = hostOf(base)
  const token = ctx.caller.reply?.token
  if (token === undefined || !BOT_TOKEN.test(token)) {
    throw new DeliveryError(`${host}: reply.token is missing or is not a Telegram bot token`, { retryable: false })
  }
  const res = await ctx.http.send({ method: 'POST', url: `${base}/bot${token}/${method}`, json: params })
  const answer = res.json<unknown>()
  if (!isObject(answer) || typeof answer.ok !== 'boolean') {
    throw new DeliveryError(`${host}: ${method} answered ${res.status} with something that is not a Bot API answer`, { retryable: false, status: res.status })
  }
  // The Bot API reports failures in the body; a 2xx that says ok: false is still a failure.
  if (!answer.ok) {
    const code = typeof answer.error_code === 'number' ? answer.error_code : null
    const seconds = isObject(answer.parameters) ? answer.parameters.retry_after : undefined
    throw new DeliveryError(`${host}: ${method} failed with Bot API error ${code ?? 'without a code'}`, {
      retryable: code === 429 || (code !== null && code >= 500),
      status: res.status,
      retryAfterMs: typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null
    })
  }
  return answer.result
}

function hostOf (url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'telegram'
  }
}
