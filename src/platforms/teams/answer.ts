// The answer to the outgoing webhook is a message activity Teams shows as a reply to the
// question, if it comes within 5 s. A result that finished in time goes in it whole when it fits
// (20 KB leaves room under Teams' 28 KB); otherwise the answer says the rest follows in the
// channel, and `partsInAnswer` tells the delivery service which parts it still has to post.
import type { HttpAnswer, Reaction } from '../adapter.ts'
import { FINAL_STATUSES } from '../../schemas/run.ts'
import { encodedBytes } from './encoded-size.ts'

const ANSWER_MAX_BYTES = 20 * 1024
// Room kept for the note that the rest follows.
const NOTE_BYTES = 200
const JOINER = '\n\n'

/** How many of a finished run's parts the answer carries (all, the first, or none). */
export function partsInAnswer (parts: readonly string[]): number {
  if (encodedBytes(parts.join(JOINER)) <= ANSWER_MAX_BYTES) return parts.length
  return encodedBytes(parts[0] ?? '') <= ANSWER_MAX_BYTES - NOTE_BYTES ? 1 : 0
}

export function answerTeams (reactions: Reaction[]): HttpAnswer {
  const first = reactions[0]
  if (first === undefined) return { status: 200 }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'message', text: reactionText(first) })
  }
}

function reactionText (reaction: Reaction): string {
  switch (reaction.kind) {
    case 'accepted':
      return working(reaction.run.id)
    case 'replayed':
      // A redelivery of a message whose run has ended: its result was already answered or posted,
      // and nothing more will come. The result itself is not repeated: a replay is not the user.
      return FINAL_STATUSES.has(reaction.run.status)
        ? `This message was already handled: run ${reaction.run.id} ${reaction.run.status}.`
        : working(reaction.run.id)
    case 'finished':
      return finishedText(reaction.parts, reaction.run.id)
    case 'notice':
    case 'refused':
      return reaction.text
  }
}

function working (runId: string): string {
  return `Working on it… the result will be posted to this channel (run ${runId})`
}

function finishedText (parts: string[], runId: string): string {
  if (parts.length === 0) return `Done (run ${runId})`
  const carried = partsInAnswer(parts)
  if (carried === parts.length) return parts.join(JOINER)
  if (carried === 1) return `${parts[0]}${JOINER}(continued in this channel: run ${runId})`
  return `The result is too long for a reply; it will be posted to this channel (run ${runId})`
}
