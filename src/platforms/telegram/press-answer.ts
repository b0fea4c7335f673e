// The webhook answer to a permission button press: `answerCallbackQuery`, which stops the button's
// spinner and shows the gateway's word to the presser alone, as a toast for a decision taken and as
// an alert that must be dismissed for a refusal (someone else's question, an expired one, a user not
// allowed). Telegram shows at most 200 characters there.
import type { HttpAnswer, InboundRequest, Reaction } from '../adapter.ts'
import { isObject } from './fields.ts'
import { parseTelegram } from './parse.ts'
import { readUpdateJson } from './update-json.ts'

const MAX_ALERT_UNITS = 200

/** The answer when this request is a press of a permission button, else null. */
export function pressAnswer (reactions: Reaction[], req: InboundRequest): HttpAnswer | null {
  const update = readUpdateJson(req.rawBody)
  if (!isObject(update) || update.message !== undefined || !isObject(update.callback_query)) return null
  const parsed = parseTelegram(req)
  const press = parsed.kind === 'messages' ? parsed.messages[0] : undefined
  if (press === undefined) return null
  const reaction = reactions[0]
  const text = reaction?.kind === 'notice' || reaction?.kind === 'refused' ? fitAlert(reaction.text) : ''
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      method: 'answerCallbackQuery',
      // parse() takes a press's event id from the query id.
      callback_query_id: press.eventId,
      ...(text !== '' ? { text } : {}),
      ...(reaction?.kind === 'refused' && text !== '' ? { show_alert: true } : {})
    })
  }
}

function fitAlert (text: string): string {
  const trimmed = text.trim()
  if (trimmed.length <= MAX_ALERT_UNITS) return trimmed
  let end = MAX_ALERT_UNITS - 1
  const last = trimmed.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${trimmed.slice(0, end)}…`
}
