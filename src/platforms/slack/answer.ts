// The answer to Slack's request. A slash command's answer is shown to the user who typed it
// (ephemeral); Slack discards the answer to an Events API callback and to a button press, so there
// it only acknowledges, and whatever the user must read is delivered instead: with chat.postMessage,
// or through the press's response_url.
import type { HttpAnswer, InboundRequest, Reaction } from '../adapter.ts'
import { escapeSlackText } from './mrkdwn.ts'
import { slackRequestKind } from './request-kind.ts'

/** True when the answer to this request reaches the user (slash commands), false for the Events API and button presses. */
export function slackAnswerShows (req: InboundRequest): boolean {
  return slackRequestKind(req.rawBody) === 'form'
}

export function answerSlack (reactions: Reaction[], req: InboundRequest): HttpAnswer {
  const first = reactions[0]
  if (first === undefined || !slackAnswerShows(req)) return { status: 200 }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', text: escapeSlackText(reactionText(first)) })
  }
}

function reactionText (reaction: Reaction): string {
  switch (reaction.kind) {
    case 'accepted':
    case 'replayed':
      return `Working on it… (run ${reaction.run.id})`
    case 'finished':
      // syncWaitMs is 0, so this only happens if the gateway's policy changes; the parts fit one
      // answer (4 × 3,900 code points, far below Slack's 40,000) and none is dropped.
      return reaction.parts.length > 0 ? reaction.parts.join('\n') : `Done (run ${reaction.run.id})`
    case 'notice':
    case 'refused':
      return reaction.text
  }
}
