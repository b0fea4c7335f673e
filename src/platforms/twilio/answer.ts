// The synchronous answer to Twilio: TwiML whose <Message> elements Twilio sends to the user.
// Runs still going answer with an empty <Response/>; their result goes out later through the
// Messages API, so the user gets it exactly once.
import type { HttpAnswer, Reaction } from '../adapter.ts'
import { escapeText, messagingResponse } from './twiml.ts'

export function answerTwilio (reactions: readonly Reaction[]): HttpAnswer {
  const texts: string[] = []
  for (const reaction of reactions) {
    if (reaction.kind === 'finished') texts.push(...reaction.parts)
    else if (reaction.kind === 'notice' || reaction.kind === 'refused') texts.push(reaction.text)
  }
  // Twilio refuses a message without a body; a blank text has nothing to say anyway.
  return twiml(messagingResponse(texts.filter(hasContent)))
}

/** The empty acknowledgement: Twilio sends nothing. */
export function twilioAck (): HttpAnswer {
  return twiml(messagingResponse([]))
}

export function hasContent (text: string): boolean {
  return escapeText(text).trim() !== ''
}

function twiml (body: string): HttpAnswer {
  return { status: 200, headers: { 'content-type': 'text/xml' }, body }
}
