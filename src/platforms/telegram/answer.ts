// The webhook answer. Telegram runs a Bot API method given as the answer body, which is the fastest
// way to show a built-in's answer or a refusal; whether it worked is never known, so run results go
// by `progress` and `deliver` instead, and accepted runs are acknowledged with an empty 200. A
// button press is answered with the method that ends it (press-answer.ts).
import type { HttpAnswer, InboundRequest, Reaction } from '../adapter.ts'
import { parseTelegram } from './parse.ts'
import { pressAnswer } from './press-answer.ts'
import { readTelegramTarget, replyParams, type TelegramTarget } from './target.ts'
import { fitOneMessage } from './limits.ts'

const ACK: HttpAnswer = { status: 200 }

export function telegramAnswer (reactions: Reaction[], req: InboundRequest): HttpAnswer {
  const press = pressAnswer(reactions, req)
  if (press !== null) return press
  // An update carries one message, and the answer can carry one method.
  const reaction = reactions[0]
  const text = reaction === undefined ? null : visibleText(reaction)
  if (text === null || text.trim() === '') return ACK
  const target = targetOf(req)
  if (target === null) return ACK
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'sendMessage', ...replyParams(target, fitOneMessage(text), { allowWithoutReply: false }) })
  }
}

function visibleText (reaction: Reaction): string | null {
  switch (reaction.kind) {
    case 'notice':
    case 'refused':
      return reaction.text
    case 'finished':
      return reaction.parts[0] ?? null
    case 'accepted':
    case 'replayed':
      return null
  }
}

function targetOf (req: InboundRequest): TelegramTarget | null {
  const parsed = parseTelegram(req)
  const message = parsed.kind === 'messages' ? parsed.messages[0] : undefined
  if (message === undefined) return null
  try {
    return readTelegramTarget(message.target)
  } catch {
    return null
  }
}
