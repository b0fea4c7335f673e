// GitHub shows the answer only in the hook's delivery log, so every answer is small JSON that tells an
// operator reading that log what became of the delivery. 202 even for a refusal: GitHub does not retry
// either way, and a 2xx marks the delivery as arrived rather than as a failure to investigate.
import type { HttpAnswer, Reaction } from '../adapter.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }

function json (status: number, body: unknown): HttpAnswer {
  return { status, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) }
}

export function pingAnswer (): HttpAnswer {
  return json(200, { ok: true })
}

export function ignoredAnswer (label: string, reason: string): HttpAnswer {
  return json(202, reason === 'fork' ? { ignored: label, reason } : { ignored: label })
}

function reactionBody (reaction: Reaction): Record<string, unknown> {
  switch (reaction.kind) {
    case 'accepted':
    case 'finished':
      return { run: reaction.run.id }
    case 'replayed':
      return { run: reaction.run.id, replayed: true }
    case 'refused':
      return { refused: reaction.text }
    case 'notice':
      // Built-ins and confirmations answer chat messages; a GitHub event is never one.
      return {}
  }
}

export function answerGithub (reactions: Reaction[]): HttpAnswer {
  // A GitHub delivery carries at most one message; the list form only keeps this total.
  if (reactions.length === 1) return json(202, reactionBody(reactions[0] as Reaction))
  if (reactions.length === 0) return json(202, {})
  return json(202, { results: reactions.map(reactionBody) })
}
